package viralengine.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import viralengine.api.OrchestratorApi;
import viralengine.api.Requests;
import viralengine.rpc.RpcException;
import viralengine.rpc.ErrorCodes;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A typed client for the orchestrator's event-bus addresses ({@link OrchestratorApi}), for verticles
 * deployed in the same Vert.x instance (or cluster) as the service.
 *
 * <p>Every call has a send timeout, and carries a {@code deadline} header at the same instant, so the
 * orchestrator records nothing for a caller that has stopped waiting. Failures arrive as
 * {@link OrchestratorException} with a JSON-RPC code: the orchestrator's own code when it refused or
 * failed; -32001 when no answer came within the timeout; -32000 when no orchestrator is deployed at the
 * address. New addresses are reachable through {@link #request} before they get a typed method.
 */
public final class OrchestratorBusClient {
  /** Three times the 150 ms SLA: room for a busy event loop, short enough to fail fast. */
  public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofMillis(500);

  private final Vertx vertx;
  private final long sendTimeoutMs;

  private OrchestratorBusClient(Vertx vertx, long sendTimeoutMs) {
    this.vertx = vertx;
    this.sendTimeoutMs = sendTimeoutMs;
  }

  public static OrchestratorBusClient create(Vertx vertx) {
    return create(vertx, DEFAULT_SEND_TIMEOUT);
  }

  /** {@code sendTimeout}: how long each call waits for its answer, 1 ms to 60 s. */
  public static OrchestratorBusClient create(Vertx vertx, Duration sendTimeout) {
    Objects.requireNonNull(vertx, "vertx");
    long ms = Objects.requireNonNull(sendTimeout, "sendTimeout").toMillis();
    if (ms < 1 || ms > 60_000) {
      throw new IllegalArgumentException("sendTimeout must be between 1 ms and 60 s, got " + sendTimeout);
    }
    return new OrchestratorBusClient(vertx, ms);
  }

  /** Records a learning event and decides which loop, if any, it triggers. */
  public Future<EventDecision> triggerEvent(TriggerEvent event) {
    return typed(OrchestratorApi.TRIGGER_EVENT, Requests.TRIGGER_EVENT, event.toJson()).map(EventDecision::from);
  }

  /** Decides which loop, if any, to show a learner now. */
  public Future<LoopDecision> selectLoop(SelectLoop params) {
    return typed(OrchestratorApi.SELECT_LOOP, Requests.SELECT_LOOP, params.toJson()).map(LoopDecision::from);
  }

  public Future<Health> health() {
    return request(OrchestratorApi.HEALTH, new JsonObject()).map(Health::from);
  }

  /**
   * Parsed and validated here, once, when an orchestrator runs in this Vert.x instance (it publishes the limits it
   * parses with): the request travels typed and is not parsed again, as from the HTTP edge. Invalid params fail here
   * with the code the orchestrator would give. Without a local orchestrator (a caller on another node), as JSON.
   */
  private Future<JsonObject> typed(String address, String method, JsonObject params) {
    Object limits = vertx.sharedData().getLocalMap(OrchestratorApi.LOCAL_SETTINGS).get(OrchestratorApi.REQUEST_LIMITS);
    if (!(limits instanceof Requests.Limits parseLimits)) {
      return request(address, params);
    }
    Requests.Parsed parsed;
    try {
      parsed = Requests.parse(method, params, parseLimits, Instant.now());
    } catch (RpcException invalid) {
      return Future.failedFuture(new OrchestratorException(invalid.code(), invalid.getMessage()));
    }
    return send(address, parsed);
  }

  /**
   * Any orchestrator address, with its params as the body; the reply is the result. The typed methods use
   * this, and so can callers of an address that has no typed method yet.
   */
  public Future<JsonObject> request(String address, JsonObject params) {
    Objects.requireNonNull(address, "address");
    return send(address, params == null ? new JsonObject() : params);
  }

  private Future<JsonObject> send(String address, Object body) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs)
        .addHeader(OrchestratorApi.HEADER_DEADLINE, Long.toString(System.currentTimeMillis() + sendTimeoutMs));
    return vertx.eventBus().<JsonObject>request(address, body, options)
        .map(reply -> reply.body())
        .recover(err -> Future.failedFuture(map(address, err)));
  }

  static OrchestratorException map(String address, Throwable err) {
    if (!(err instanceof ReplyException reply)) {
      return new OrchestratorException(ErrorCodes.INTERNAL_ERROR, "Call to " + address + " failed: " + err.getClass().getSimpleName());
    }
    ReplyFailure type = reply.failureType();
    if (type == ReplyFailure.RECIPIENT_FAILURE) {
      return new OrchestratorException(reply.failureCode(), reply.getMessage());
    }
    if (type == ReplyFailure.TIMEOUT) {
      return new OrchestratorException(ErrorCodes.TIMEOUT, "No answer from " + address + " within the send timeout");
    }
    if (type == ReplyFailure.NO_HANDLERS) {
      return new OrchestratorException(ErrorCodes.ORCHESTRATOR_ERROR,
          "No orchestrator at " + address + " (not deployed, not warmed up yet, or stopping)");
    }
    return new OrchestratorException(ErrorCodes.INTERNAL_ERROR, "Call to " + address + " failed");
  }
}
