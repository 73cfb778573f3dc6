package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.agents.Agents;
import viralengine.agents.FallbackCopy;
import viralengine.api.OrchestratorApi;
import viralengine.api.ParsedCodec;
import viralengine.api.Requests;
import viralengine.cluster.Affinity;
import viralengine.config.AppConfig;
import viralengine.decision.Buckets;
import viralengine.decision.Experiment;
import viralengine.decision.Posteriors;
import viralengine.decision.Strategy;
import viralengine.decisionlog.DecisionLog;
import viralengine.learners.Learner;
import viralengine.learners.LearnerStore;
import viralengine.learners.RecentLearners;
import viralengine.lifecycle.Erasure;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;
import viralengine.metrics.LastError;
import viralengine.metrics.ServiceMetrics;
import viralengine.outcomes.OutcomeStore;
import viralengine.incentives.JoinGrants;
import viralengine.outcomes.Outcomes;
import viralengine.personalization.CopyRenderer;
import viralengine.report.LoopReport;
import viralengine.report.ReportJobs;
import viralengine.report.ReportStore;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Serves the {@link OrchestratorApi} addresses. {@code start()} completes once the loops are loaded
 * (the warm-up) and every consumer is registered; {@code stop()} waits for calls in flight, whose
 * answers wait for their decisions to be durable.
 */
public final class OrchestratorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(OrchestratorVerticle.class);
  private static final long DRAIN_POLL_MS = 10;
  /** loop_report's own connections: one for the periodic refresh and gauges, one for a report at the same time. */
  static final int REPORT_POOL_SIZE = 2;
  /**
   * Where a decision's copy comes from when personalization does not answer well in time: the loop's own
   * {@code action.copy} for the persona, rendered by the personalization package ({@code CopyRenderer::render}).
   */
  static final FallbackCopy LOCAL_COPY = CopyRenderer::render;

  private final AppConfig config;
  private final Pool pool;
  private final DecisionLog log;
  private final Supplier<String> breakerState;
  private final LastError lastError;
  private final ServiceMetrics metrics;
  private final Requests.Limits limits;
  private final Clock clock;
  /** The loops and rules as the catalog watcher last loaded them (LISTEN/NOTIFY plus a periodic reload). */
  private final Supplier<Catalog> catalog;
  /** Cluster mode's learner affinity; null on a single node, where every call is decided here. */
  private final Affinity affinity;
  /** The {@code cluster} object of the health body; null on a single node. */
  private final Supplier<JsonObject> clusterHealth;
  /** The bandit's latest posteriors (empty unless selection.strategy is thompson). */
  private final Supplier<Posteriors> posteriors;
  private Orchestrator orchestrator;
  private Agents agents;
  private Outcomes outcomes;
  private LearnerStore learners;
  private HealthReporter health;
  private LoopReport report;
  private ReportJobs reportJobs;
  private Pool reportPool;
  private int inFlight;
  private long delayedCalls;
  /** The owner ring this node's kept learner state was built under; -1 before the first decision. */
  private long ringVersion = -1;

  public OrchestratorVerticle(AppConfig config, Pool pool, DecisionLog log, Supplier<String> breakerState,
      LastError lastError, ServiceMetrics metrics, Clock clock, Supplier<Catalog> catalog, Supplier<Posteriors> posteriors) {
    this(config, pool, log, breakerState, lastError, metrics, clock, catalog, posteriors, null, null);
  }

  /** In cluster mode: decisions are routed to their learner's owner by {@code affinity}. */
  public OrchestratorVerticle(AppConfig config, Pool pool, DecisionLog log, Supplier<String> breakerState,
      LastError lastError, ServiceMetrics metrics, Clock clock, Supplier<Catalog> catalog, Supplier<Posteriors> posteriors,
      Affinity affinity, Supplier<JsonObject> clusterHealth) {
    this.posteriors = posteriors;
    this.affinity = affinity;
    this.clusterHealth = clusterHealth;
    this.clock = clock;
    this.catalog = catalog;
    this.config = config;
    this.pool = pool;
    this.log = log;
    this.breakerState = breakerState;
    this.lastError = lastError;
    this.metrics = metrics;
    this.limits = new Requests.Limits(config.limits().maxContextBytes(), config.limits().maxContextDepth());
  }

  @Override
  public Future<?> start() {
    AppConfig.Orchestrator settings = config.orchestrator();
    learners = new LearnerStore(pool);
    outcomes = new Outcomes(new OutcomeStore(pool), clock, metrics.loopActivity(), this::learnerChanged,
        new JoinGrants(pool, catalog, clock));
    agents = new Agents(vertx, config.agents(), metrics);
    orchestrator = new Orchestrator(vertx, log, learners,
        new RecentLearners(settings.learnerCacheSize(), Duration.ofMillis(settings.learnerCacheTtlMs())),
        new IdempotencyCache(settings.idempotencyCacheSize(), settings.idempotencyTtlMs()), catalog, clock, metrics,
        experiment(config), posteriors, new AgentStep(agents, LOCAL_COPY, settings.timeoutMs()));
    health = new HealthReporter(pool, log, catalog, orchestrator::cacheSize, breakerState, lastError,
        !config.security().tokenHashes().isEmpty(), config.database().mode(), clusterHealth);
    reportPool = viralengine.store.Database.pool(vertx, config.database(), REPORT_POOL_SIZE, "viral-engine-report");
    ReportStore reportStore = new ReportStore(reportPool, config.report().refreshBatch());
    report = new LoopReport(reportStore, config, catalog);
    reportJobs = new ReportJobs(vertx, reportStore, report, metrics.registry(), config.report(), clock);
    reportJobs.start();
    LOG.info("Loops loaded: {}, {} active", catalog.get().loops().size(), activeLoopCount());
    // Co-deployed callers parse with the same limits and send typed requests (viralengine.client).
    ParsedCodec.register(vertx.eventBus());
    vertx.sharedData().getLocalMap(OrchestratorApi.LOCAL_SETTINGS).put(OrchestratorApi.REQUEST_LIMITS, limits);
    List<Future<?>> registered = new ArrayList<>();
    for (String method : Requests.METHODS) {
      registered.add(consumer(OrchestratorApi.address(method), method).completion());
      if (affinity != null) {
        registered.add(vertx.eventBus().consumer(affinity.ownerAddress(method), message -> {
          affinity.servedForPeer();
          onCall(message, method);
        }).completion());
      }
    }
    registered.add(vertx.eventBus().<String>consumer(OrchestratorApi.LEARNER_CHANGED,
        message -> orchestrator.forget(message.body())).completion());
    registered.add(vertx.eventBus().<String>consumer(Erasure.ERASED, message -> {
      orchestrator.erased(message.body());
      metrics.recent().forgetLearner(message.body());
    }).completion());
    registered.add(vertx.eventBus().localConsumer(OrchestratorApi.LEARNERS_RESET, message -> {
      orchestrator.forgetAll();
      message.reply(null);
    }).completion());
    return Future.join(registered);
  }

  /**
   * Opens for business once the start-up rehearsal is done: calls each peer agent once ({@link Agents#warm}), forgets
   * the rehearsal's learners and registers health,
   * which is what readiness asks. Health is local: in a cluster, each node's HTTP edge and verticles ask their own
   * node (which forwards as needed).
   */
  public Future<Void> open(int rehearsed) {
    Promise<Void> opened = Promise.promise();
    context.runOnContext(v -> agents.warm().onComplete(warm -> {
      orchestrator.forgetAll();
      io.micrometer.core.instrument.Gauge.builder("viral.warmup.decisions", () -> rehearsed)
          .description("Decisions rehearsed through HTTP at start, before this node reported ready (writes rolled back)")
          .register(metrics.registry());
      vertx.eventBus().localConsumer(OrchestratorApi.HEALTH, this::onHealth).completion().onComplete(opened);
    }));
    return opened.future();
  }

  /** Consumers are unregistered by the undeploy itself; this waits for the calls they already took. */
  @Override
  public Future<?> stop() {
    if (reportJobs != null) {
      reportJobs.stop();
    }
    if (agents != null) {
      agents.close();
    }
    Promise<Void> drained = Promise.promise();
    long deadline = System.currentTimeMillis() + config.drainTimeoutMs();
    awaitIdle(drained, deadline);
    return drained.future().eventually(() -> reportPool == null ? Future.succeededFuture() : reportPool.close());
  }

  private void awaitIdle(Promise<Void> drained, long deadline) {
    if (inFlight == 0) {
      drained.complete();
    } else if (System.currentTimeMillis() > deadline) {
      LOG.warn("Drain timeout: {} calls still in flight", inFlight);
      drained.complete();
    } else {
      vertx.setTimer(DRAIN_POLL_MS, id -> awaitIdle(drained, deadline));
    }
  }

  /** The public addresses are local consumers: one node's callers reach that node, which forwards by affinity. */
  private MessageConsumer<Object> consumer(String address, String method) {
    return vertx.eventBus().localConsumer(address, message -> {
      // A rehearsal is decided here: the warm-up is this node's own.
      if (affinity == null || message.headers().contains(OrchestratorApi.HEADER_REHEARSAL)) {
        onCall(message, method);
        return;
      }
      inFlight++;
      affinity.route(message, method, () -> onCall(message, method)).onComplete(done -> inFlight--);
    });
  }

  private void onCall(Message<Object> message, String method) {
    forgetOnOwnershipChange();
    Call call = Call.from(message.headers());
    inFlight++;
    (call.rehearsal() ? Future.<Void>succeededFuture() : delayForTests())
        .compose(v -> dispatch(parse(method, message.body()), call))
        .onComplete(done -> inFlight--)
        .onSuccess(message::reply)
        .onFailure(err -> fail(message, method, call, err));
  }

  /**
   * When ownership moves, a learner this node owned again may have been decided elsewhere meanwhile: what was kept is
   * forgotten and rebuilt from PostgreSQL (the guard would catch a stale selection; this spares the retry).
   */
  private void forgetOnOwnershipChange() {
    if (affinity != null && affinity.ringVersion() != ringVersion) {
      ringVersion = affinity.ringVersion();
      orchestrator.forgetAll();
    }
  }

  /** A request the edge parsed arrives as it is; any other sender's JSON is validated here. */
  private Requests.Parsed parse(String method, Object body) {
    if (body instanceof Requests.Parsed parsed && parsed.method().equals(method)) {
      return parsed;
    }
    if (!(body instanceof JsonObject params)) {
      throw RpcException.invalidParams("params", "must be a JSON object");
    }
    return Requests.parse(method, params, limits, clock.instant());
  }

  private Future<JsonObject> dispatch(Requests.Parsed call, Call facts) {
    if (call instanceof Requests.Request decision) {
      return orchestrator.handle(decision, facts);
    }
    if (call instanceof Requests.UpsertLearner u) {
      return learners.upsert(new LearnerStore.Upsert(u.userId(), u.timezone(), u.birthYear(), u.persona(),
          u.parentalConsent(), u.growthOptOut(), u.attributes())).onComplete(done -> learnerChanged(u.userId()))
          .compose(this::profile);
    }
    if (call instanceof Requests.GetLearner g) {
      return learners.get(g.userId()).compose(this::profile);
    }
    if (call instanceof Requests.RecordOutcome r) {
      return outcomes.record(r);
    }
    if (call instanceof Requests.LoopReport r) {
      return report.run(r);
    }
    return outcomes.explain((Requests.ExplainDecision) call);
  }

  /**
   * This node forgets the learner at once (the caller's next decision must see the change); the other nodes, when
   * there are any, hear it on the event bus. Called on a failed write too: it may have committed.
   */
  private void learnerChanged(String userId) {
    orchestrator.forget(userId);
    vertx.eventBus().publish(OrchestratorApi.LEARNER_CHANGED, userId);
  }

  /**
   * The experiment settings every decision starts from. The random source belongs to this verticle, which runs
   * on one event loop, so a seeded run draws the same numbers in the same order.
   */
  static Experiment experiment(AppConfig config) {
    AppConfig.Selection selection = config.selection();
    RandomGenerator random = selection.seed() == null ? new SplittableRandom() : new SplittableRandom(selection.seed());
    return new Experiment(config.experiments().salt(), config.experiments().holdoutPercent(), Map.of(),
        Strategy.of(selection.strategy()), Posteriors.EMPTY, random, selection.holdbackPercent());
  }

  /** The profile with the learner's experiment assignments (DECISIONING.md "Measure and learn"). */
  private Future<JsonObject> profile(Learner learner) {
    AppConfig.Experiments experiments = config.experiments();
    return learners.variantsByLoop(learner.userId()).map(variants -> learner.toJson().put("experiments", new JsonObject()
        .put("holdout", Buckets.heldOut(experiments.salt(), experiments.holdoutPercent(), learner.userId()))
        .put("holdback", Strategy.of(config.selection().strategy()) != Strategy.PRIORITY
            && Buckets.heldBack(experiments.salt(), config.selection().holdbackPercent(), learner.userId()))
        .put("variants", new JsonObject(new java.util.LinkedHashMap<>(variants)))));
  }

  /**
   * {@code orchestrator.test_delay_ms}: lets tests make the orchestrator slow, for all calls or, with
   * {@code test_slow_calls}, for the first N. Zero in production.
   */
  private Future<Void> delayForTests() {
    AppConfig.Orchestrator settings = config.orchestrator();
    if (settings.testDelayMs() == 0 || (settings.testSlowCalls() > 0 && delayedCalls >= settings.testSlowCalls())) {
      return Future.succeededFuture();
    }
    delayedCalls++;
    return vertx.timer(settings.testDelayMs()).mapEmpty();
  }

  private void onHealth(Message<Object> message) {
    health.report().onSuccess(message::reply)
        .onFailure(err -> message.fail(ErrorCodes.INTERNAL_ERROR, "Health report failed"));
  }

  private void fail(Message<Object> message, String method, Call call, Throwable err) {
    if (err instanceof RpcException rpc) {
      message.fail(rpc.code(), rpc.getMessage());
      return;
    }
    Object requestId = message.body() instanceof Requests.Request parsed ? parsed.requestId()
        : message.body() instanceof JsonObject params ? params.getValue("request_id") : null;
    LOG.error("{} failed", method, kv("decision_id", call.decisionId()), kv("request_id", requestId), err);
    lastError.record(method + " failed: " + err.getClass().getSimpleName());
    message.fail(ErrorCodes.INTERNAL_ERROR, "Internal error");
  }

  private int activeLoopCount() {
    return (int) catalog.get().loops().stream().filter(Loop::active).count();
  }
}
