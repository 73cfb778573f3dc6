package viralengine.mcp;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import viralengine.support.TestService;

import static viralengine.support.TestService.await;

/** Raw HTTP on {@code /mcp}: the headers a conforming client sends, and ways to break them. */
final class McpHttp {
  static final String MODERN = "2026-07-28";
  static final String ACCEPT = "application/json, text/event-stream";

  private final TestService svc;

  McpHttp(TestService svc) {
    this.svc = svc;
  }

  /** The {@code _meta} a 2026-07-28 request carries. */
  /** The tools of a caller without scope admin: the orchestrator's, then list_loops. */
  static final java.util.List<String> DECIDE_TOOLS = java.util.List.of("trigger_event", "select_loop", "orchestrator_health",
      "upsert_learner", "get_learner", "record_outcome", "explain_decision", "loop_report", "list_loops",
      "trust_safety_check_action", "trust_safety_report_abuse", "personalization_personalize", "incentives_offer_reward",
      "incentives_get_balance", "incentives_list_reward_types");
  /** With auth disabled every caller has every scope, so the admin agent's other tools are listed too. */
  static final java.util.List<String> ALL_TOOLS = java.util.stream.Stream.concat(DECIDE_TOOLS.stream(),
      java.util.stream.Stream.of("get_loop", "upsert_loop", "set_loop_active", "list_frequency_rules",
          "upsert_frequency_rule", "delete_frequency_rule", "list_changes", "forget_learner", "trust_safety_block_user",
          "trust_safety_unblock_user", "trust_safety_list_blocks", "incentives_grant_reward", "incentives_revoke_reward")).toList();

  static JsonObject meta() {
    return new JsonObject()
        .put("io.modelcontextprotocol/protocolVersion", MODERN)
        .put("io.modelcontextprotocol/clientInfo", new JsonObject().put("name", "raw-http-test").put("version", "1.0.0"))
        .put("io.modelcontextprotocol/clientCapabilities", new JsonObject());
  }

  static JsonObject request(Object id, String method, JsonObject params) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", method);
    return params == null ? request : request.put("params", params);
  }

  /** A 2026-07-28 request: {@code _meta} in the params. */
  static JsonObject modernRequest(Object id, String method, JsonObject params) {
    return request(id, method, (params == null ? new JsonObject() : params.copy()).put("_meta", meta()));
  }

  static JsonObject toolCall(String name, JsonObject arguments) {
    return new JsonObject().put("name", name).put("arguments", arguments);
  }

  /** POSTs {@code body} with the standard transport headers plus {@code headers}. */
  HttpResponse<Buffer> post(Object body, MultiMap headers) {
    HttpRequest<Buffer> request = svc.http.post(svc.port, "127.0.0.1", McpEndpoint.PATH)
        .putHeader("content-type", "application/json")
        .putHeader("accept", ACCEPT);
    for (String name : headers.names()) {
      request.headers().set(name, headers.getAll(name));
    }
    return await(request.sendBuffer(Buffer.buffer(body.toString())));
  }

  /** POSTs a modern request with the headers mirrored from its body, as a conforming client does. */
  HttpResponse<Buffer> modern(JsonObject message) {
    return post(message, modernHeaders(message));
  }

  static MultiMap modernHeaders(JsonObject message) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
        .add("MCP-Protocol-Version", MODERN)
        .add("Mcp-Method", message.getString("method"));
    JsonObject params = message.getJsonObject("params");
    if ("tools/call".equals(message.getString("method")) && params != null && params.getString("name") != null) {
      headers.add("Mcp-Name", params.getString("name"));
    }
    return headers;
  }

  /** A legacy (2025-11-25) request. */
  HttpResponse<Buffer> legacy(JsonObject message) {
    return post(message, MultiMap.caseInsensitiveMultiMap().add("MCP-Protocol-Version", "2025-11-25"));
  }

  HttpResponse<Buffer> send(HttpMethod method, MultiMap headers) {
    HttpRequest<Buffer> request = svc.http.request(method, svc.port, "127.0.0.1", McpEndpoint.PATH);
    request.putHeaders(headers);
    return await(request.send());
  }

  static MultiMap headers(String... namesAndValues) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.add(namesAndValues[i], namesAndValues[i + 1]);
    }
    return headers;
  }

  static int errorCode(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error").getInteger("code");
  }
}
