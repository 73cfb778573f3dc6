package viralengine.http;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.circuitbreaker.TimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.orchestrator.LastError;
import viralengine.orchestrator.OrchestratorApi;
import viralengine.orchestrator.Requests;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.decisionlog.DecisionLog;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.Throttle;
import viralengine.store.FallbackRecord;
import viralengine.store.Ids;

import java.util.Map;
import java.util.UUID;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Calls the orchestrator over the event bus through the circuit breaker. When the orchestrator gives
 * no decision (too slow, circuit open, not running, failed), select_loop degrades to the default
 * decision instead of failing, and whatever the caller was told is logged as a decision row.
 */
final class OrchestratorClient {
  private static final Logger LOG = LoggerFactory.getLogger(OrchestratorClient.class);
  private static final long HEALTH_TIMEOUT_MS = 2_000;
  /** Learner, outcome and explain calls: one indexed statement each, but not under the decision SLA. */
  static final long LOOKUP_TIMEOUT_MS = 2_000;
  private static final Map<String, String> ADDRESSES = Map.of(
      Requests.TRIGGER_EVENT, OrchestratorApi.TRIGGER_EVENT,
      Requests.SELECT_LOOP, OrchestratorApi.SELECT_LOOP);

  private static final Map<Integer, String> FALLBACK_REASONS = Map.of(
      ErrorCodes.TIMEOUT, "timeout",
      ErrorCodes.CIRCUIT_OPEN, "circuit_open",
      ErrorCodes.ORCHESTRATOR_ERROR, "orchestrator_unavailable");

  private static final Throttle ANSWERED_INSTEAD = new Throttle();
  private static final Throttle NOT_RECORDED = new Throttle();

  private final Vertx vertx;
  private final CircuitBreaker breaker;
  private final DecisionLog log;
  private final LastError lastError;
  private final ServiceMetrics metrics;
  private final long timeoutMs;

  OrchestratorClient(Vertx vertx, CircuitBreaker breaker, DecisionLog log, LastError lastError, ServiceMetrics metrics,
      long timeoutMs) {
    this.vertx = vertx;
    this.breaker = breaker;
    this.log = log;
    this.lastError = lastError;
    this.metrics = metrics;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Calls a method with params already validated at the edge. Decisions go through the breaker and degrade;
   * the other methods (learners, outcomes, explain) are plain calls with their own timeout, whose failures
   * are the caller's to retry.
   */
  Future<JsonObject> call(String method, JsonObject params) {
    if (!ADDRESSES.containsKey(method)) {
      return vertx.eventBus().<JsonObject>request(OrchestratorApi.address(method), params,
              new DeliveryOptions().setSendTimeout(LOOKUP_TIMEOUT_MS))
          .map(Message::body)
          .recover(err -> Future.failedFuture(toRpc(err)));
    }
    UUID decisionId = Ids.next();
    long start = System.nanoTime();
    DeliveryOptions options = new DeliveryOptions()
        .setSendTimeout(timeoutMs + 50)
        .addHeader(OrchestratorApi.HEADER_DECISION_ID, decisionId.toString())
        .addHeader(OrchestratorApi.HEADER_DEADLINE, Long.toString(System.currentTimeMillis() + timeoutMs));
    return breaker.<JsonObject>execute(() -> vertx.eventBus().<JsonObject>request(ADDRESSES.get(method), params, options)
            .map(Message::body))
        .recover(err -> answerInstead(method, params, decisionId, toRpc(err), start));
  }

  /** The health body; the breaker is bypassed so health answers even while the circuit is open. */
  Future<JsonObject> health() {
    return vertx.eventBus().<JsonObject>request(OrchestratorApi.HEALTH, null,
            new DeliveryOptions().setSendTimeout(HEALTH_TIMEOUT_MS))
        .map(Message::body)
        .otherwise(err -> new JsonObject()
            .put("status", "down")
            .put("circuit_breaker", Breakers.state(breaker))
            .put("last_error", lastError.toJson())
            .put("database", new JsonObject().put("status", "unknown"))
            .put("reason", notAnswering(err)));
  }

  /**
   * Every such answer is logged with its ids, but at most one per second at WARN (with how many were
   * folded into DEBUG since): an open circuit can answer thousands a second.
   */
  private void logAnsweredInstead(String method, JsonObject params, UUID decisionId, RpcException cause) {
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

  private String notAnswering(Throwable err) {
    JsonObject last = lastError.toJson();
    return "orchestrator did not answer: " + toRpc(err).getMessage()
        + (last == null ? "" : "; last error: " + last.getString("message"));
  }

  /**
   * The orchestrator gave no decision. Caller errors and overload pass through as they are; any other
   * failure is answered here (select_loop with the default decision), and that answer is logged.
   */
  private Future<JsonObject> answerInstead(String method, JsonObject params, UUID decisionId, RpcException cause, long start) {
    if (cause.code() == ErrorCodes.IDEMPOTENCY_CONFLICT) {
      // The event bus carries only code and message; the caller needs to know which id clashed.
      return Future.failedFuture(new RpcException(cause.code(), cause.getMessage(),
          new JsonObject().put("request_id", params.getString("request_id"))));
    }
    if (ErrorCodes.isCallerError(cause.code()) || cause.code() == ErrorCodes.OVERLOADED) {
      return Future.failedFuture(cause);
    }
    double latency = (System.nanoTime() - start) / 1_000_000.0;
    lastError.record(method + ": " + cause.getMessage());
    logAnsweredInstead(method, params, decisionId, cause);
    JsonObject features = new JsonObject().put("fallback", FALLBACK_REASONS.getOrDefault(cause.code(), "orchestrator_error"))
        .put("cause_code", cause.code());
    String requestId = params.getString("request_id");
    if (Requests.SELECT_LOOP.equals(method)) {
      JsonObject degraded = defaultDecision(decisionId, cause, latency);
      Future<Void> audit = log.recordFallback(new FallbackRecord(decisionId, requestId, method, params, degraded,
          degraded.getString("rationale"), features, latency, null));
      if (shedUnaudited(audit)) {
        return Future.failedFuture(audit.cause());
      }
      logFallback(audit);
      metrics.decision(method, params.getString("user_id"), null, ServiceMetrics.OUTCOME_DEGRADED,
          degraded.getString("rationale"), latency, decisionId.toString());
      return Future.succeededFuture(degraded);
    }
    RpcException answer = new RpcException(cause.code(), cause.getMessage(),
        new JsonObject().put("decision_id", decisionId.toString()));
    Future<Void> audit = log.recordFallback(new FallbackRecord(decisionId, requestId, method, params, answer.toJson(),
        cause.getMessage(), features, latency, cause.code()));
    if (shedUnaudited(audit)) {
      return Future.failedFuture(audit.cause());
    }
    logFallback(audit);
    return Future.failedFuture(answer);
  }

  /**
   * Every answer is audited: when the decision log refuses the row at once (its queue is full), the
   * request is shed with that -32003 instead of being answered with something the audit trail lacks.
   */
  private boolean shedUnaudited(Future<Void> audit) {
    return audit.failed() && audit.cause() instanceof RpcException rpc && rpc.code() == ErrorCodes.OVERLOADED;
  }

  private static JsonObject defaultDecision(UUID decisionId, RpcException cause, double latency) {
    return new JsonObject()
        .put("decision_id", decisionId.toString())
        .put("loop", null)
        .put("eligible_loops", new JsonArray())
        .put("degraded", true)
        .put("rationale", "Default decision (no loop): " + cause.getMessage())
        .put("latency_ms", latency);
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

  private RpcException toRpc(Throwable err) {
    if (err instanceof RpcException rpc) {
      return rpc;
    }
    if (err instanceof TimeoutException) {
      return new RpcException(ErrorCodes.TIMEOUT, "Orchestrator did not answer within " + timeoutMs + " ms");
    }
    if (err instanceof OpenCircuitException) {
      return new RpcException(ErrorCodes.CIRCUIT_OPEN, "Circuit breaker is open; the orchestrator was not called");
    }
    if (err instanceof ReplyException reply) {
      return RpcException.fromReply(reply);
    }
    LOG.error("Unexpected failure calling the orchestrator", err);
    return new RpcException(ErrorCodes.INTERNAL_ERROR, "Internal error");
  }
}
