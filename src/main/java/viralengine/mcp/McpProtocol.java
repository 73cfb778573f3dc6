package viralengine.mcp;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.auth.Principal;
import viralengine.auth.Scope;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.OpenRpc;

import java.util.List;

/**
 * The MCP methods {@code /mcp} answers, per era. The transport checks (headers, versions, {@code _meta})
 * are done by {@link McpEndpoint} before a request gets here.
 *
 * <ul>
 *   <li>Legacy (2025-03-26 … 2025-11-25): {@code initialize}, {@code ping}, {@code tools/list}, {@code tools/call}.
 *       Stateless: no session is minted, so {@code initialize} only negotiates the version.</li>
 *   <li>Modern (2026-07-28): {@code server/discover}, {@code tools/list}, {@code tools/call}; every result
 *       carries {@code resultType: "complete"} and {@code _meta} with the server's identity, and the
 *       cacheable ones {@code ttlMs} and {@code cacheScope}.</li>
 * </ul>
 */
final class McpProtocol {
  static final String INITIALIZE = "initialize";
  static final String PING = "ping";
  static final String DISCOVER = "server/discover";
  static final String TOOLS_LIST = "tools/list";
  static final String TOOLS_CALL = "tools/call";
  static final List<String> LEGACY_METHODS = List.of(INITIALIZE, PING, TOOLS_LIST, TOOLS_CALL);
  static final List<String> MODERN_METHODS = List.of(DISCOVER, TOOLS_LIST, TOOLS_CALL);
  /** The tool list changes only with a new build: clients and shared caches may keep it this long. */
  static final long TOOLS_TTL_MS = 300_000;
  static final String SERVER_NAME = "viral-engine-orchestrator";
  static final String INSTRUCTIONS = "The orchestrator of an online tutoring product's growth engine. Call trigger_event"
      + " when a learner completes practice, ends a session or finishes a diagnostic: it records the event and"
      + " decides which viral loop to show. Call select_loop to ask which loop to show a learner without"
      + " recording an event. Send a request_id to make retries safe. orchestrator_health reports whether the"
      + " service can decide right now.";

  private final McpTools tools;

  McpProtocol(McpTools tools) {
    this.tools = tools;
  }

  /** The result object of {@code method}, or a failed future with an {@link McpException}. */
  Future<JsonObject> handle(Versions.Era era, String method, JsonObject params, Principal caller) {
    return era.modern() ? modern(method, params, caller) : legacy(method, params, caller);
  }

  private Future<JsonObject> legacy(String method, JsonObject params, Principal caller) {
    switch (method) {
      case INITIALIZE:
        return initialize(params);
      case PING:
        return Future.succeededFuture(new JsonObject());
      case TOOLS_LIST:
        return listTools(params, caller);
      case TOOLS_CALL:
        return tools.call(params, caller);
      default:
        return Future.failedFuture(methodNotFound(200, method, LEGACY_METHODS));
    }
  }

  private Future<JsonObject> modern(String method, JsonObject params, Principal caller) {
    Future<JsonObject> result = switch (method) {
      case DISCOVER -> Future.succeededFuture(cacheable(new JsonObject()
          .put("supportedVersions", new JsonArray(Versions.SUPPORTED))
          .put("capabilities", capabilities())
          .put("instructions", INSTRUCTIONS)));
      // An admin token sees more tools than others: its list may be cached for that caller only.
      case TOOLS_LIST -> listTools(params, caller).map(body -> cacheable(body,
          caller != Principal.ANONYMOUS && caller.has(Scope.ADMIN) ? "private" : "public"));
      case TOOLS_CALL -> tools.call(params, caller);
      default -> Future.failedFuture(methodNotFound(404, method, MODERN_METHODS));
    };
    return result.map(body -> body
        .put("resultType", "complete")
        .put("_meta", new JsonObject().put("io.modelcontextprotocol/serverInfo", serverInfo())));
  }

  /** Legacy version negotiation: the requested version when we speak it, else the newest legacy one. */
  private static Future<JsonObject> initialize(JsonObject params) {
    if (!(params.getValue("protocolVersion") instanceof String requested)) {
      return Future.failedFuture(new McpException(200, ErrorCodes.INVALID_PARAMS,
          "Invalid params: initialize needs params.protocolVersion, a string such as \"" + Versions.LATEST_LEGACY + "\""));
    }
    String version = Versions.LEGACY.contains(requested) ? requested : Versions.LATEST_LEGACY;
    return Future.succeededFuture(new JsonObject()
        .put("protocolVersion", version)
        .put("capabilities", capabilities())
        .put("serverInfo", serverInfo())
        .put("instructions", INSTRUCTIONS));
  }

  private Future<JsonObject> listTools(JsonObject params, Principal caller) {
    if (params.getValue("cursor") != null) {
      return Future.failedFuture(new McpException(200, ErrorCodes.INVALID_PARAMS,
          "Invalid params: unknown cursor; the tool list has a single page"));
    }
    return Future.succeededFuture(new JsonObject().put("tools", tools.definitions(caller)));
  }

  private static JsonObject cacheable(JsonObject result) {
    return cacheable(result, "public");
  }

  private static JsonObject cacheable(JsonObject result, String scope) {
    return result.put("ttlMs", TOOLS_TTL_MS).put("cacheScope", scope);
  }

  private static JsonObject capabilities() {
    return new JsonObject().put("tools", new JsonObject().put("listChanged", false));
  }

  static JsonObject serverInfo() {
    return new JsonObject().put("name", SERVER_NAME).put("title", OpenRpc.TITLE).put("version", OpenRpc.version());
  }

  private static McpException methodNotFound(int status, String method, List<String> methods) {
    String shown = method.length() > 64 ? method.substring(0, 64) + "…" : method;
    return new McpException(status, ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + shown,
        new JsonObject().put("methods", new JsonArray(methods)));
  }
}
