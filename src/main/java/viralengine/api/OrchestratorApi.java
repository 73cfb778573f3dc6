package viralengine.api;

/**
 * The orchestrator's public event-bus API. Co-deployed verticles use these constants and nothing else.
 *
 * <p>Each address takes the JSON-RPC params as a {@code JsonObject} body and replies with the result
 * as a {@code JsonObject}. A failure arrives as a {@code ReplyException} whose
 * {@code failureCode()} is a JSON-RPC code from {@link viralengine.rpc.ErrorCodes} and whose message is
 * safe to show. Always send with a timeout:
 *
 * <pre>{@code
 * vertx.eventBus().<JsonObject>request(OrchestratorApi.SELECT_LOOP,
 *     new JsonObject().put("user_id", "learner-42"),
 *     new DeliveryOptions().setSendTimeout(500))
 *   .onSuccess(reply -> use(reply.body()))
 *   .onFailure(err -> handle(((ReplyException) err).failureCode()));
 * }</pre>
 *
 * <p>Event-bus callers reach the orchestrator directly, without the HTTP side's circuit breaker and
 * degraded default; their own send timeout is their SLA.
 */
public final class OrchestratorApi {
  /** Params {@code {event_type, user_id, request_id?, occurred_at?, context?}}. */
  public static final String TRIGGER_EVENT = "orchestrator.trigger_event";
  /** Params {@code {user_id, event_type?, context?, request_id?}}. */
  public static final String SELECT_LOOP = "orchestrator.select_loop";
  /** Params {@code {user_id, timezone?, birth_year?, persona?, parental_consent?, growth_opt_out?, attributes?}}. */
  public static final String UPSERT_LEARNER = "orchestrator.upsert_learner";
  /** Params {@code {user_id}}. */
  public static final String GET_LEARNER = "orchestrator.get_learner";
  /** Params {@code {decision_id, outcome, occurred_at?, request_id?, referred_user_id?, context?}}. */
  public static final String RECORD_OUTCOME = "orchestrator.record_outcome";
  /** Params {@code {decision_id}}. */
  public static final String EXPLAIN_DECISION = "orchestrator.explain_decision";
  /** Params {@code {from, to, group_by?}}; read-only (docs/measure-and-learn.md). */
  public static final String LOOP_REPORT = "orchestrator.loop_report";
  /** Any body; replies with the health body of {@code GET /mcp/orchestrator/health}. */
  public static final String HEALTH = "orchestrator.health";

  /**
   * Published (cluster-wide in cluster mode) with a learner's user_id when their profile or a dismissal was
   * written: every node forgets what it kept of that learner. Internal; not a method.
   */
  public static final String LEARNER_CHANGED = "orchestrator.internal.learner_changed";
  /**
   * Any body; this node forgets every learner it kept, then replies. For whoever edits or empties the learner tables
   * behind the service's back (tests, an operator's script on a co-deployed verticle).
   */
  public static final String LEARNERS_RESET = "orchestrator.internal.learners_reset";

  /**
   * Internal: the local map where a started orchestrator publishes {@link #REQUEST_LIMITS}, the
   * {@link Requests.Limits} it parses requests with. The typed client ({@code viralengine.client}) reads them to parse
   * its calls once, as the HTTP edge does, and send them typed ({@link ParsedCodec}); without them it sends JSON.
   */
  public static final String LOCAL_SETTINGS = "viral-engine.orchestrator";
  public static final String REQUEST_LIMITS = "request_limits";

  /** Optional header: the decision id (a UUID) to record this call under. One is generated when absent. */
  public static final String HEADER_DECISION_ID = "decision-id";
  /**
   * Optional header: epoch milliseconds after which the caller no longer waits. Past it the orchestrator
   * records nothing and fails with -32001, so the log never claims an answer nobody received.
   */
  public static final String HEADER_DEADLINE = "deadline";

  /**
   * Internal header: the call rehearses the decision path at start (the warm-up). It is decided like any call, and
   * its rows are written in a transaction that is rolled back: nothing a user can see. Only in-process senders can
   * set a bus header; HTTP callers cannot.
   */
  public static final String HEADER_REHEARSAL = "rehearsal";

  private OrchestratorApi() {}

  /** The address of a method of agent orchestrator: {@code orchestrator.<method>}. */
  public static String address(String method) {
    return "orchestrator." + method;
  }
}
