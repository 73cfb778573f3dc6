package viralengine.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * Every metric the service publishes, with tag values fixed in advance so recording never builds
 * strings, plus the live view the dashboard shows. Names are documented in the README and used by
 * {@code ops/grafana/orchestrator.json}.
 */
public final class ServiceMetrics {
  public static final String REQUESTS = "viral.rpc.requests";
  public static final String EVENTS = "viral.events";
  public static final String DECISIONS = "viral.decisions";
  public static final String BREAKER_STATE = "viral.circuit.breaker.state";
  public static final String BREAKER_TRANSITIONS = "viral.circuit.breaker.transitions";
  public static final String LOG_PENDING = "viral.decision.log.pending";
  public static final String LOG_BATCH = "viral.decision.log.batch.size";
  public static final String LOG_FLUSH = "viral.decision.log.flush";
  public static final String SPOOL_DEPTH = "viral.spool.depth";
  public static final String SPOOL_ACTIVE = "viral.spool.active";
  public static final String CACHE = "viral.idempotency.cache";
  public static final String LEARNER_CACHE = "viral.learner.cache";
  public static final String ADMISSION_LIMIT = "viral.admission.limit";
  public static final String IN_FLIGHT = "viral.requests.in.flight";
  public static final String FALLBACKS_NOT_RECORDED = "viral.fallbacks.not.recorded";
  public static final String AGENT_CALLS = "viral.agent.calls";
  public static final String AGENT_LATENCY = "viral.agent.latency";
  public static final String AGENT_BREAKER_STATE = "viral.agent.circuit.breaker.state";
  /** What a call to a peer agent came to (AGENTS.md "Audit"); anything but ok means the decision used a fallback. */
  public static final List<String> AGENT_OUTCOMES = List.of("ok", "timeout", "error", "circuit_open", "invalid");

  public static final String OUTCOME_DEGRADED = "degraded";
  public static final List<String> BREAKER_STATES = List.of("closed", "open", "half_open");

  static final List<String> METHODS = List.of("trigger_event", "select_loop", "health", "rpc.discover", "other", "invalid");
  static final String OK = "ok";
  static final String OTHER_ERROR = "other_error";

  private final PrometheusMeterRegistry registry;
  private final LiveStats live = new LiveStats();
  private final LoopActivity loopActivity = new LoopActivity(System::currentTimeMillis);
  private final Timeline timeline = new Timeline(System::currentTimeMillis);
  private final EdgeMetrics edge;
  private final RecentDecisions recent = new RecentDecisions();
  private final List<String> outcomes;
  private final AtomicReferenceArray<Timer> requestTimers;
  private final Map<String, Counter> events = new ConcurrentHashMap<>();
  private final Map<String, Counter> decisions = new ConcurrentHashMap<>();
  private final Map<String, Counter> transitions = new ConcurrentHashMap<>();
  private final Map<String, Counter> agentCalls = new ConcurrentHashMap<>();
  private final Map<String, Timer> agentLatency = new ConcurrentHashMap<>();
  private final Map<String, Supplier<String>> agentBreakers = new ConcurrentHashMap<>();
  private final Counter cacheHits;
  private final Counter staleSelections;
  private final Counter cacheMisses;
  private final Counter learnerHits;
  private final Counter learnerMisses;
  private final Counter fallbacksNotRecorded;
  private final DistributionSummary batchSizes;
  private final Timer flushToPostgres;
  private final Timer flushToSpool;
  /** One per HTTP instance; the gauges sum them. */
  private final List<IntSupplier> admissionLimits = new CopyOnWriteArrayList<>();
  private final List<IntSupplier> admissionInFlight = new CopyOnWriteArrayList<>();

  public ServiceMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    new UptimeMetrics().bindTo(registry);
    this.outcomes = outcomeTags();
    this.edge = new EdgeMetrics(registry);
    this.requestTimers = new AtomicReferenceArray<>(METHODS.size() * outcomes.size());
    this.cacheHits = lookups(registry, CACHE, "hit", "Idempotency cache look-ups");
    this.staleSelections = Counter.builder("viral.selections.stale")
        .description("Selections refused by the per-learner database guard and decided again").register(registry);
    this.cacheMisses = lookups(registry, CACHE, "miss", "Idempotency cache look-ups");
    String learnerLookups = "Decisions that found their learner's state in memory (hit) or read it from PostgreSQL (miss)";
    this.learnerHits = lookups(registry, LEARNER_CACHE, "hit", learnerLookups);
    this.learnerMisses = lookups(registry, LEARNER_CACHE, "miss", learnerLookups);
    this.batchSizes = DistributionSummary.builder(LOG_BATCH).description("Rows per decision-log flush")
        .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(10_000.0).register(registry);
    this.flushToPostgres = flushTimer("postgres");
    this.flushToSpool = flushTimer("spool");
    this.fallbacksNotRecorded = Counter.builder(FALLBACKS_NOT_RECORDED)
        .description("Answers given in the orchestrator's place whose audit row could not be written").register(registry);
    Gauge.builder(ADMISSION_LIMIT, () -> admissionLimits.stream().mapToInt(IntSupplier::getAsInt).sum())
        .description("Requests the HTTP instances admit at once now (shrinks while answers are late)").register(registry);
    Gauge.builder(IN_FLIGHT, () -> admissionInFlight.stream().mapToInt(IntSupplier::getAsInt).sum())
        .description("Requests admitted and not yet answered").register(registry);
  }

  public void fallbackNotRecorded() {
    fallbacksNotRecorded.increment();
  }

  /** Counts an HTTP instance's in-flight bound (its limit now, and its requests in flight) into the admission gauges. */
  public void admission(IntSupplier limit, IntSupplier inFlight) {
    admissionLimits.add(limit);
    admissionInFlight.add(inFlight);
  }

  /** Connections, sheds and rate-limit hits per token name. */
  public EdgeMetrics edge() {
    return edge;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public LiveStats live() {
    return live;
  }

  public RecentDecisions recent() {
    return recent;
  }

  /** One answered JSON-RPC request; {@code errorCode} null means a result. */
  public void request(String method, Integer errorCode, long nanos) {
    int m = METHODS.indexOf(method);
    int methodIndex = m < 0 ? METHODS.indexOf("other") : m;
    int known = errorCode == null ? 0 : outcomes.indexOf(Integer.toString(errorCode));
    int outcomeIndex = known < 0 ? outcomes.size() - 1 : known;
    int slot = methodIndex * outcomes.size() + outcomeIndex;
    Timer timer = requestTimers.get(slot);
    if (timer == null) {
      timer = Timer.builder(REQUESTS).description("JSON-RPC requests by method and outcome (ok or the error code)")
          .tag("method", METHODS.get(methodIndex)).tag("outcome", outcomes.get(outcomeIndex))
          .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(10))
          .register(registry);
      requestTimers.compareAndSet(slot, null, timer);
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
    live.record(nanos / 1_000_000.0, errorCode);
  }

  /** An event recorded by trigger_event. */
  public void event(String eventType) {
    events.computeIfAbsent(eventType, type -> Counter.builder(EVENTS).tag("event_type", type)
        .description("Events recorded, by type").register(registry)).increment();
  }

  /** A decision the caller received; {@code loop} null means none. Also feeds the live table. */
  public void decision(String method, String userId, String loop, String outcome, String rationale, double latencyMs,
      String decisionId) {
    String loopTag = loop == null ? "none" : loop;
    decisions.computeIfAbsent(loopTag + '|' + outcome, key -> Counter.builder(DECISIONS).tag("loop", loopTag)
        .tag("outcome", outcome).description("Decisions by loop and outcome").register(registry)).increment();
    timeline.record(latencyMs);
    recent.add(new JsonObject().put("time", Instant.now().toString()).put("method", method).put("user_id", userId)
        .put("loop", loop).put("outcome", outcome).put("rationale", rationale).put("latency_ms", latencyMs)
        .put("decision_id", decisionId));
  }

  /** A selection refused by the database guard because another instance recorded one first; it was decided again. */
  public void staleSelection() {
    staleSelections.increment();
  }

  /** Decisions per second and their p99 per minute over the last hour, for the dashboard's charts. */
  public Timeline timeline() {
    return timeline;
  }

  /** Per-loop selections, caps reached and outcomes over the last hour, for the dashboard. */
  public LoopActivity loopActivity() {
    return loopActivity;
  }

  public void cache(boolean hit) {
    (hit ? cacheHits : cacheMisses).increment();
  }

  /** One result (hit or miss) of an in-memory cache's look-ups. */
  private static Counter lookups(PrometheusMeterRegistry registry, String name, String result, String description) {
    return Counter.builder(name).tag("result", result).description(description).register(registry);
  }

  public void learnerCache(boolean hit) {
    (hit ? learnerHits : learnerMisses).increment();
  }

  /** Gauges for the breaker's state (1 for the current one) and a counter of transitions into each state. */
  public void breaker(Supplier<String> state) {
    for (String s : BREAKER_STATES) {
      // The Supplier form: Micrometer keeps it strongly, where an object-plus-function gauge is held weakly.
      Gauge.builder(BREAKER_STATE, () -> s.equals(state.get()) ? 1 : 0).tag("state", s)
          .description("1 for the circuit breaker's current state").register(registry);
      transitions.put(s, Counter.builder(BREAKER_TRANSITIONS).tag("to", s).description("Circuit breaker transitions")
          .register(registry));
    }
  }

  /**
   * A peer agent's breaker, published as {@code viral_agent_circuit_breaker_state{agent,state}}, and its calls' meters
   * made now so that the dashboard and the alert rules see every agent and outcome from the start.
   */
  public void agent(String agent, Supplier<String> state) {
    agentBreakers.put(agent, state);
    for (String s : BREAKER_STATES) {
      Gauge.builder(AGENT_BREAKER_STATE, () -> s.equals(state.get()) ? 1 : 0).tag("agent", agent).tag("state", s)
          .description("1 for the peer agent's circuit breaker's current state").register(registry);
    }
    AGENT_OUTCOMES.forEach(outcome -> agentCounter(agent, outcome));
    agentTimer(agent);
  }

  /** One call to a peer agent: its outcome (one of {@link #AGENT_OUTCOMES}) and how long it took. */
  public void agentCall(String agent, String outcome, long nanos) {
    agentCounter(agent, outcome).increment();
    agentTimer(agent).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Per agent: calls, fallbacks (calls not ok), mean and max latency in ms, and the breaker's state. */
  public JsonObject agents() {
    JsonObject all = new JsonObject();
    for (Map.Entry<String, Supplier<String>> agent : new java.util.TreeMap<>(agentBreakers).entrySet()) {
      String name = agent.getKey();
      long calls = 0;
      long fallbacks = 0;
      for (String outcome : AGENT_OUTCOMES) {
        long count = (long) agentCounter(name, outcome).count();
        calls += count;
        fallbacks += "ok".equals(outcome) ? 0 : count;
      }
      Timer timer = agentTimer(name);
      all.put(name, new JsonObject().put("calls", calls).put("fallbacks", fallbacks)
          .put("mean_ms", timer.mean(TimeUnit.MILLISECONDS)).put("max_ms", timer.max(TimeUnit.MILLISECONDS))
          .put("breaker", agent.getValue().get()));
    }
    return all;
  }

  private Counter agentCounter(String agent, String outcome) {
    return agentCalls.computeIfAbsent(agent + '|' + outcome, key -> Counter.builder(AGENT_CALLS).tag("agent", agent)
        .tag("outcome", outcome).description("Calls to peer agents by agent and outcome (anything but ok fell back)")
        .register(registry));
  }

  private Timer agentTimer(String agent) {
    return agentLatency.computeIfAbsent(agent, key -> Timer.builder(AGENT_LATENCY).tag("agent", agent)
        .description("How long calls to each peer agent took, fallbacks included").publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(1)).register(registry));
  }

  public void breakerTransition(String to) {
    transitions.get(to).increment();
  }

  /** Gauges over the decision log: rows not yet durable, and the spool's depth. */
  public void decisionLog(Supplier<Number> pending, Supplier<Number> spoolDepth) {
    Gauge.builder(LOG_PENDING, pending).description("Decisions accepted and not yet durable").register(registry);
    Gauge.builder(SPOOL_DEPTH, spoolDepth).description("Entries waiting in the outage spool").register(registry);
  }

  /** 1 while decisions go to the outage spool instead of PostgreSQL (what health reports as spool.active). */
  public void spoolActive(java.util.function.BooleanSupplier active) {
    Gauge.builder(SPOOL_ACTIVE, () -> active.getAsBoolean() ? 1 : 0)
        .description("1 while decisions are written to the outage spool instead of PostgreSQL").register(registry);
  }

  /** A decision-log flush of {@code rows} rows to PostgreSQL or to the spool. */
  public void flush(int rows, boolean toSpool, long nanos) {
    batchSizes.record(rows);
    (toSpool ? flushToSpool : flushToPostgres).record(nanos, TimeUnit.NANOSECONDS);
  }

  private Timer flushTimer(String target) {
    return Timer.builder(LOG_FLUSH).tag("target", target).description("Decision-log flush latency")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  private static List<String> outcomeTags() {
    List<String> tags = new java.util.ArrayList<>();
    tags.add(OK);
    for (int code : LiveStats.ERROR_CODES) {
      tags.add(Integer.toString(code));
    }
    tags.add(OTHER_ERROR);
    return List.copyOf(tags);
  }
}
