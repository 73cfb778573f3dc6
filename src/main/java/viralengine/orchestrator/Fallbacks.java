package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.api.Requests;
import viralengine.decisionlog.DecisionLog;
import viralengine.metrics.LastError;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.Throttle;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;
import viralengine.store.EventRecord;
import viralengine.store.FallbackRecord;
import viralengine.store.Ids;
import viralengine.store.StoredOutcome;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The answer given in the orchestrator's place when it gives no decision (too slow, circuit open, not running): the
 * default decision, never an error, and for trigger_event the event recorded all the same. Whatever the caller is told
 * is written to the audit trail under the decision id the call carried.
 *
 * <p>A call with a request_id must never get a second decision for that id. Its default answer therefore claims the id
 * in PostgreSQL first (an insert that the unique index arbitrates) and is given only if the claim wins; if the id was
 * taken, the caller gets the id's first answer; if PostgreSQL cannot say in time, a retriable -32003.
 */
public final class Fallbacks {
  private static final Logger LOG = LoggerFactory.getLogger(Fallbacks.class);
  private static final Map<Integer, String> REASONS = Map.of(
      ErrorCodes.TIMEOUT, "timeout",
      ErrorCodes.CIRCUIT_OPEN, "circuit_open",
      ErrorCodes.ORCHESTRATOR_ERROR, "orchestrator_unavailable");
  /** What a caller refused for now is told to wait (an overload, a request_id PostgreSQL could not confirm). */
  public static final long RETRY_AFTER_MS = DecisionLog.RETRY_AFTER_MS;
  private static final Throttle ANSWERED_INSTEAD = new Throttle();
  private static final Throttle NOT_RECORDED = new Throttle();

  private final DecisionLog log;
  private final LastError lastError;
  private final ServiceMetrics metrics;
  /** How long a claim may wait for PostgreSQL before the caller is told to retry. */
  private final long claimTimeoutMs;

  public Fallbacks(DecisionLog log, LastError lastError, ServiceMetrics metrics, long claimTimeoutMs) {
    this.log = log;
    this.lastError = lastError;
    this.metrics = metrics;
    this.claimTimeoutMs = claimTimeoutMs;
  }

  /** The answer for a decision call ({@link Requests#SELECT_LOOP} or {@link Requests#TRIGGER_EVENT}) the orchestrator did not give. */
  public Future<JsonObject> answer(String method, JsonObject params, UUID decisionId, RpcException cause, long startNanos) {
    double latency = (System.nanoTime() - startNanos) / 1_000_000.0;
    lastError.record(method + ": " + cause.getMessage());
    logAnsweredInstead(method, params, decisionId, cause);
    EventRecord event = Requests.TRIGGER_EVENT.equals(method) ? event(params) : null;
    JsonObject answer = defaultAnswer(params, decisionId, event, cause, latency);
    JsonObject features = new JsonObject().put("fallback", REASONS.getOrDefault(cause.code(), "orchestrator_error"))
        .put("cause_code", cause.code());
    String requestId = params.getString("request_id");
    FallbackRecord row = new FallbackRecord(decisionId, requestId, method, params, answer, answer.getString("rationale"),
        features, latency, null, event);
    if (requestId == null) {
      Future<Void> audit = log.recordFallback(row);
      if (shedUnaudited(audit)) {
        return Future.failedFuture(audit.cause());
      }
      logFallback(audit);
      return Future.succeededFuture(counted(method, params, answer, latency, decisionId));
    }
    return log.claimFallback(row).timeout(claimTimeoutMs, TimeUnit.MILLISECONDS)
        .compose(claimed -> claimed ? Future.succeededFuture(counted(method, params, answer, latency, decisionId))
            : firstAnswer(requestId, method, params))
        .recover(err -> Future.failedFuture(err instanceof RpcException rpc && rpc.code() != ErrorCodes.OVERLOADED ? rpc
            : RpcException.retryLater("The orchestrator did not answer, and whether request_id " + requestId
                + " was already decided could not be confirmed in time; retry later with the same request_id, which"
                + " gets its one decision",
                DecisionLog.RETRY_AFTER_MS)));
  }

  /** The event of a trigger_event whose params the edge has validated. */
  private static EventRecord event(JsonObject params) {
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    OffsetDateTime occurred = Params.optionalTimestamp(params, "occurred_at", now.toInstant());
    return new EventRecord(Ids.next(), params.getString("event_type"), params.getString("user_id"),
        occurred == null ? now : occurred, now, params.getJsonObject("context"));
  }

  /** The request_id was taken first (by the orchestrator's own late write, or an earlier call): its answer stands. */
  private Future<JsonObject> firstAnswer(String requestId, String method, JsonObject params) {
    return log.findByRequestId(requestId, method, params).compose(stored -> {
      if (stored == null) {
        return Future.failedFuture(RpcException.retryLater("request_id " + requestId + " is being decided; retry later",
            DecisionLog.RETRY_AFTER_MS));
      }
      if (!stored.sameRequest()) {
        return Future.failedFuture(Orchestrator.conflict(requestId));
      }
      return stored(stored);
    });
  }

  private static Future<JsonObject> stored(StoredOutcome stored) {
    return stored.errorCode() == null ? Future.succeededFuture(stored.output())
        : Future.failedFuture(new RpcException(stored.errorCode(), stored.output().getString("message", "Error")));
  }

  private JsonObject counted(String method, JsonObject params, JsonObject answer, double latency, UUID decisionId) {
    metrics.decision(method, params.getString("user_id"), null, ServiceMetrics.OUTCOME_DEGRADED,
        answer.getString("rationale"), latency, decisionId.toString());
    return answer;
  }

  /** select_loop's default decision; trigger_event's adds the event it recorded. */
  static JsonObject defaultAnswer(JsonObject params, UUID decisionId, EventRecord event, RpcException cause, double latency) {
    JsonObject answer = new JsonObject().put("decision_id", decisionId.toString());
    if (event != null) {
      answer.put("event_id", event.eventId().toString()).put("event_type", event.eventType());
    }
    return answer
        .put("loop", null)
        .put("eligible_loops", new JsonArray())
        .put("degraded", true)
        .put("rationale", "Default decision (no loop): " + cause.getMessage())
        .put("latency_ms", latency);
  }

  /**
   * Every answer is audited: when the decision log refuses the row at once (its queue is full), the
   * request is shed with that -32003 instead of being answered with something the audit trail lacks.
   */
  private static boolean shedUnaudited(Future<Void> audit) {
    return audit.failed() && audit.cause() instanceof RpcException rpc && rpc.code() == ErrorCodes.OVERLOADED;
  }

  /**
   * Every such answer is logged with its ids, but at most one per second at WARN (with how many were
   * folded into DEBUG since): an open circuit can answer thousands a second.
   */
  private static void logAnsweredInstead(String method, JsonObject params, UUID decisionId, RpcException cause) {
    long held = ANSWERED_INSTEAD.pass();
    if (held >= 0) {
      LOG.warn("Answered in the orchestrator's place: {} ({} more since the last such line)", cause.getMessage(),
          held, kv("decision_id", decisionId), kv("request_id", params.getString("request_id")),
          kv("method", method), kv("cause_code", cause.code()));
    } else {
      LOG.debug("Answered in the orchestrator's place: {}", cause.getMessage(), kv("decision_id", decisionId),
          kv("request_id", params.getString("request_id")), kv("method", method), kv("cause_code", cause.code()));
    }
  }

  private void logFallback(Future<Void> write) {
    write.onFailure(err -> {
      metrics.fallbackNotRecorded();
      lastError.record("fallback answer not recorded: " + err.getMessage());
      long held = NOT_RECORDED.pass();
      if (held >= 0) {
        LOG.error("Could not record a fallback answer in agent_decisions: {} ({} more since the last such line)",
            err.getMessage(), held);
      }
    });
  }
}
