package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import viralengine.admin.AdminApi;
import viralengine.admin.AdminSchema;
import viralengine.auth.Principal;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.JsonRpc;
import viralengine.rpc.OpenRpc;
import viralengine.rpc.RpcException;

/**
 * Agent {@code admin} over HTTP: each JSON-RPC request goes to the {@link AdminApi} address of its method,
 * with the caller's name as the audit actor. No circuit breaker: admin writes are rare and not under the
 * decision SLA, and a failure here must be seen, not replaced by a default.
 */
final class AdminAgent implements RpcHandler.Agent {
  private final Vertx vertx;
  private final JsonObject openRpc = AdminSchema.openRpc();

  AdminAgent(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<JsonObject> call(JsonRpc.Request request, RoutingContext ctx) {
    if (OpenRpc.DISCOVER.equals(request.method())) {
      return Future.succeededFuture(openRpc.copy());
    }
    if (!AdminApi.METHODS.contains(request.method())) {
      throw new RpcException(ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + request.method(),
          new JsonObject().put("methods", new JsonArray(AdminApi.METHODS).copy().add(OpenRpc.DISCOVER)));
    }
    return call(request.method(), request.params(), actor(ctx));
  }

  /** Runs an admin method on behalf of {@code actor}; JSON-RPC and MCP both come here. */
  Future<JsonObject> call(String method, JsonObject params, String actor) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(AdminApi.sendTimeoutMs(method))
        .addHeader(AdminApi.HEADER_ACTOR, actor);
    return vertx.eventBus().<JsonObject>request(AdminApi.address(method), params, options)
        .map(Message::body)
        .recover(err -> Future.failedFuture(toRpc(method, err)));
  }

  /** The caller's token name is the audit trail's actor ({@code anonymous} with auth disabled). */
  static String actor(RoutingContext ctx) {
    return Principal.of(ctx).name();
  }

  private static RpcException toRpc(String method, Throwable err) {
    if (err instanceof AdminApi.Failure failure) {
      return new RpcException(failure.failureCode(), failure.getMessage(), failure.data());
    }
    if (err instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return new RpcException(reply.failureCode(), reply.getMessage());
    }
    if (err instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
      return new RpcException(ErrorCodes.INTERNAL_ERROR, "The admin agent did not answer within "
          + AdminApi.sendTimeoutMs(method) + " ms; read the loop again before retrying (forget_learner: retry with the"
          + " same request_id)");
    }
    return new RpcException(ErrorCodes.INTERNAL_ERROR,
        "The admin agent is not available (starting up, or its database is unreachable)");
  }
}
