package viralengine.http;

import viralengine.rpc.OpenRpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import viralengine.auth.Principal;
import viralengine.peers.PeerAgent;
import viralengine.rpc.BusMethods;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.JsonRpc;
import viralengine.rpc.RpcException;

/**
 * A built-in peer agent over HTTP ({@code trust_safety}, {@code personalization}, {@code incentives}): each request
 * goes to the event-bus address of its method, once the caller's token has that method's scope. No circuit breaker
 * here: the orchestrator's calls during a decision have their own, and a direct caller must see a failure.
 */
final class PeerAgentRoute implements RpcHandler.Agent {
  /** Longer than any of the agents' queries; a decision's calls use their own, much shorter, budgets. */
  static final long SEND_TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final PeerAgent agent;
  private final JsonObject openRpc;

  PeerAgentRoute(Vertx vertx, PeerAgent agent) {
    this.vertx = vertx;
    this.agent = agent;
    this.openRpc = agent.openRpc();
  }

  @Override
  public Future<JsonObject> call(JsonRpc.Request request, RoutingContext ctx) {
    if (OpenRpc.DISCOVER.equals(request.method())) {
      return Future.succeededFuture(openRpc.copy());
    }
    return call(request.method(), request.params(), Principal.of(ctx));
  }

  /** Runs a method for {@code caller}; JSON-RPC and MCP both come here. */
  Future<JsonObject> call(String method, JsonObject params, Principal caller) {
    PeerAgent.Method found = agent.method(method);
    if (found == null) {
      throw new RpcException(ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + method,
          new JsonObject().put("methods", new JsonArray(agent.methodNames()).copy().add(OpenRpc.DISCOVER)));
    }
    if (!caller.has(found.scope())) {
      throw new RpcException(ErrorCodes.FORBIDDEN, "Forbidden: " + agent.name() + "." + method + " needs an API token"
          + " with scope " + found.scope().wire(), new JsonObject().put("scope", found.scope().wire()));
    }
    return vertx.eventBus().<JsonObject>request(agent.address(method), params,
            new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS))
        .map(Message::body)
        .recover(err -> Future.failedFuture(toRpc(err)));
  }

  private RpcException toRpc(Throwable err) {
    if (err instanceof BusMethods.Failure failure) {
      return failure.toRpc();
    }
    if (err instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return new RpcException(reply.failureCode(), reply.getMessage());
    }
    if (err instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
      return new RpcException(ErrorCodes.INTERNAL_ERROR, "The " + agent.name() + " agent did not answer within "
          + SEND_TIMEOUT_MS + " ms");
    }
    return new RpcException(ErrorCodes.INTERNAL_ERROR, "The " + agent.name() + " agent is not available (starting up,"
        + " or its database is unreachable)");
  }
}
