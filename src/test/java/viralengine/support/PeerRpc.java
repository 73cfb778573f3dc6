package viralengine.support;

import io.vertx.core.json.JsonObject;

/** JSON-RPC calls to a built-in peer agent ({@code trust_safety}, {@code personalization}, {@code incentives}) over HTTP. */
public final class PeerRpc {
  private PeerRpc() {}

  /** The response object of {@code POST /mcp/{agent}/{method}}. */
  public static JsonObject call(TestService svc, String agent, String method, JsonObject params) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method).put("params", params);
    return svc.post("/mcp/" + agent + "/" + method, request).bodyAsJsonObject();
  }

  /** The result; fails the test with the error when there is none. */
  public static JsonObject ok(TestService svc, String agent, String method, JsonObject params) {
    JsonObject response = call(svc, agent, method, params);
    if (response.getJsonObject("result") == null) {
      throw new AssertionError(agent + "." + method + " failed: " + response.encode());
    }
    return response.getJsonObject("result");
  }

  /** The error object; fails the test when the call succeeded. */
  public static JsonObject error(TestService svc, String agent, String method, JsonObject params) {
    JsonObject response = call(svc, agent, method, params);
    if (response.getJsonObject("error") == null) {
      throw new AssertionError(agent + "." + method + " should have failed: " + response.encode());
    }
    return response.getJsonObject("error");
  }
}
