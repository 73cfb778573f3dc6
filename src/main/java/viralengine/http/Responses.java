package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import viralengine.rpc.JsonRpc;
import viralengine.rpc.RpcException;

/** Writes API responses with the headers every one of them carries. */
final class Responses {
  static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
  private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
  private static final CharSequence X_CONTENT_TYPE_OPTIONS = HttpHeaders.createOptimized("X-Content-Type-Options");

  private Responses() {}

  static Future<Void> json(RoutingContext ctx, int status, Object body) {
    return headers(ctx.response().setStatusCode(status))
        .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
        .end(body.toString());
  }

  /** A JSON-RPC error outside any request we could read: id is null. */
  static Future<Void> rpcError(RoutingContext ctx, int status, RpcException error) {
    return json(ctx, status, JsonRpc.error(null, error));
  }

  /** A plain JSON error for routes that are not JSON-RPC. */
  static Future<Void> error(RoutingContext ctx, int status, String error, String message) {
    return json(ctx, status, new JsonObject().put("error", error).put("message", message));
  }

  static Future<Void> noContent(RoutingContext ctx) {
    return headers(ctx.response().setStatusCode(204)).end();
  }

  private static HttpServerResponse headers(HttpServerResponse response) {
    return response.putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE).putHeader(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
  }
}
