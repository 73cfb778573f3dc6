package viralengine.http;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.circuitbreaker.TimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.api.OrchestratorApi;
import viralengine.api.ParsedCodec;
import viralengine.api.Requests;
import viralengine.metrics.LastError;
import viralengine.orchestrator.Fallbacks;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.Ids;

import java.util.Map;
import java.util.UUID;


/**
 * Calls the orchestrator over the event bus through the circuit breaker. When the orchestrator gives
 * no decision (too slow, circuit open, not running, failed), {@link Fallbacks} answers in its place.
 */
final class OrchestratorClient {
  private static final Logger LOG = LoggerFactory.getLogger(OrchestratorClient.class);
  private static final long HEALTH_TIMEOUT_MS = 2_000;
  /** Learner, outcome and explain calls: one indexed statement each, but not under the decision SLA. */
  static final long LOOKUP_TIMEOUT_MS = 2_000;
  private static final Map<String, String> ADDRESSES = Map.of(
      Requests.TRIGGER_EVENT, OrchestratorApi.TRIGGER_EVENT,
      Requests.SELECT_LOOP, OrchestratorApi.SELECT_LOOP);

  private final Vertx vertx;
  private final CircuitBreaker breaker;
  private final Fallbacks fallbacks;
  private final LastError lastError;
  private final long timeoutMs;

  OrchestratorClient(Vertx vertx, CircuitBreaker breaker, Fallbacks fallbacks, LastError lastError, long timeoutMs) {
    this.vertx = vertx;
    ParsedCodec.register(vertx.eventBus());
    this.breaker = breaker;
    this.fallbacks = fallbacks;
    this.lastError = lastError;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Calls a method with the request the edge parsed; it travels as it is ({@link ParsedCodec}). Decisions go through
   * the breaker and degrade; the other methods (learners, outcomes, explain) are plain calls with their own timeout,
   * whose failures are the caller's to retry.
   */
  Future<JsonObject> call(Requests.Parsed request) {
    return call(request, false);
  }

  /**
   * As {@link #call(Requests.Parsed)}; a rehearsal (the start-up warm-up) is decided without the breaker, whose
   * window must judge real calls only, and without an answer in the orchestrator's place, which would write a row.
   */
  Future<JsonObject> call(Requests.Parsed request, boolean rehearsal) {
    String method = request.method();
    if (rehearsal && ADDRESSES.containsKey(method)) {
      return vertx.eventBus().<JsonObject>request(ADDRESSES.get(method), request, new DeliveryOptions()
              .setSendTimeout(LOOKUP_TIMEOUT_MS).addHeader(OrchestratorApi.HEADER_REHEARSAL, "true"))
          .map(Message::body)
          .recover(err -> Future.failedFuture(toRpc(err)));
    }
    if (!ADDRESSES.containsKey(method)) {
      return vertx.eventBus().<JsonObject>request(OrchestratorApi.address(method), request,
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
    return breaker.<JsonObject>execute(() -> vertx.eventBus().<JsonObject>request(ADDRESSES.get(method), request, options)
            .map(Message::body))
        .recover(err -> answerInstead(method, request.params(), decisionId, toRpc(err), start));
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

  private String notAnswering(Throwable err) {
    JsonObject last = lastError.toJson();
    return "orchestrator did not answer: " + toRpc(err).getMessage()
        + (last == null ? "" : "; last error: " + last.getString("message"));
  }

  /**
   * The orchestrator gave no decision. Caller errors and overload pass through as they are (a -32003 with the
   * retry_after_ms the event bus could not carry); any other failure is answered in its place.
   */
  private Future<JsonObject> answerInstead(String method, JsonObject params, UUID decisionId, RpcException cause, long start) {
    if (cause.code() == ErrorCodes.IDEMPOTENCY_CONFLICT) {
      // The event bus carries only code and message; the caller needs to know which id clashed.
      return Future.failedFuture(new RpcException(cause.code(), cause.getMessage(),
          new JsonObject().put("request_id", params.getString("request_id"))));
    }
    if (ErrorCodes.isCallerError(cause.code()) || cause.code() == ErrorCodes.OVERLOADED) {
      return Future.failedFuture(cause.withRetryAfter(Fallbacks.RETRY_AFTER_MS));
    }
    return fallbacks.answer(method, params, decisionId, cause, start);
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
