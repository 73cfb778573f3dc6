package viralengine.mcp;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.admin.AdminSchema;
import viralengine.api.ApiSchema;
import viralengine.api.Requests;
import viralengine.auth.Principal;
import viralengine.auth.Scope;
import viralengine.peers.PeerAgent;
import viralengine.peers.PeerAgents;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.OpenRpc;
import viralengine.rpc.RpcException;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The orchestrator's methods as MCP tools. Definitions come from {@link ApiSchema} (the same source as
 * the OpenRPC document); calls are validated by {@link Requests} and go through the {@link McpEndpoint.Backend},
 * which is the HTTP side's orchestrator client: same event-bus addresses, same circuit breaker, same
 * fallback answers and decision log as JSON-RPC.
 *
 * <p>Argument errors and failures of the call are tool execution errors ({@code isError: true}, with a
 * message a model can act on); an unknown tool or a malformed {@code tools/call} is a protocol error (-32602).
 */
final class McpTools {
  private static final Logger LOG = LoggerFactory.getLogger(McpTools.class);

  /** The admin agent's read-only tool every caller sees (DECISIONING.md "Scopes"); the others need {@code admin}. */
  static final String LIST_LOOPS = "list_loops";

  private final Map<String, OpenRpc.Method> byTool = new LinkedHashMap<>();
  private final Map<String, OpenRpc.Method> adminByTool = new LinkedHashMap<>();
  private final Map<String, PeerTool> peerByTool = new LinkedHashMap<>();
  private final JsonArray definitions = new JsonArray();
  private final JsonArray adminDefinitions = new JsonArray();
  private final Requests.Limits limits;
  private final McpEndpoint.Backend backend;

  McpTools(ApiSchema api, Requests.Limits limits, McpEndpoint.Backend backend) {
    this.limits = limits;
    this.backend = backend;
    for (OpenRpc.Method method : api.methods()) {
      byTool.put(method.tool(), method);
      definitions.add(definition(method));
    }
    for (OpenRpc.Method method : AdminSchema.methods()) {
      adminByTool.put(method.tool(), method);
      (LIST_LOOPS.equals(method.tool()) ? definitions : adminDefinitions).add(definition(method));
    }
    if (backend.peers() != null) {
      for (PeerAgent agent : PeerAgents.ALL) {
        for (PeerAgent.Method method : agent.methods()) {
          String tool = peerTool(agent, method);
          peerByTool.put(tool, new PeerTool(agent.name(), method));
          (method.scope() == Scope.ADMIN ? adminDefinitions : definitions).add(definition(method.schema()).put("name", tool));
        }
      }
    }
  }

  /** A peer agent's method as a tool: {@code {agent}_{method}}, e.g. {@code trust_safety_check_action}. */
  static String peerTool(PeerAgent agent, PeerAgent.Method method) {
    return agent.name() + "_" + method.name();
  }

  private record PeerTool(String agent, PeerAgent.Method method) {}

  private Future<JsonObject> runPeer(PeerTool peer, Object arguments, Principal caller, String tool) {
    if (arguments != null && !(arguments instanceof JsonObject)) {
      return Future.failedFuture(invalidParams("Invalid params: tools/call params.arguments must be an object", null));
    }
    JsonObject args = arguments == null ? new JsonObject() : (JsonObject) arguments;
    Future<JsonObject> outcome;
    try {
      outcome = backend.peers().call(peer.agent(), peer.method().name(), args, caller);
    } catch (RpcException e) {
      outcome = Future.failedFuture(e);
    }
    return outcome.transform(done -> Future.succeededFuture(done.succeeded() ? success(done.result()) : failure(tool, done.cause())));
  }

  /** The tools this caller may use, in a fixed order (a copy: callers may decorate it). */
  JsonArray definitions(Principal caller) {
    JsonArray visible = definitions.copy();
    if (caller.has(Scope.ADMIN)) {
      adminDefinitions.forEach(visible::add);
    }
    return visible;
  }

  /** Runs {@code tools/call}; the future fails only with a protocol error ({@link McpException}). */
  Future<JsonObject> call(JsonObject params, Principal caller) {
    Object name = params.getValue("name");
    if (!(name instanceof String tool)) {
      return Future.failedFuture(invalidParams("Invalid params: tools/call needs params.name, the name of a tool", null));
    }
    PeerTool peer = peerByTool.get(tool);
    if (peer != null) {
      return runPeer(peer, params.getValue("arguments"), caller, tool);
    }
    OpenRpc.Method admin = adminByTool.get(tool);
    if (admin != null && (LIST_LOOPS.equals(tool) || caller.has(Scope.ADMIN))) {
      return runAdmin(admin, params.getValue("arguments"), caller, tool);
    }
    if (admin != null) {
      return Future.succeededFuture(failure(tool, new RpcException(ErrorCodes.FORBIDDEN,
          "Forbidden: tool " + tool + " needs an API token with scope admin", new JsonObject().put("scope", "admin"))));
    }
    OpenRpc.Method method = byTool.get(tool);
    if (method == null) {
      return Future.failedFuture(invalidParams("Unknown tool: " + cut(tool),
          new JsonObject().put("tools", new JsonArray(byTool.keySet().stream().toList()))));
    }
    Object arguments = params.getValue("arguments");
    if (arguments != null && !(arguments instanceof JsonObject)) {
      return Future.failedFuture(invalidParams("Invalid params: tools/call params.arguments must be an object", null));
    }
    JsonObject args = arguments == null ? new JsonObject() : (JsonObject) arguments;
    Future<JsonObject> outcome;
    try {
      outcome = run(method, args);
    } catch (RpcException e) {
      outcome = Future.failedFuture(e);
    }
    return outcome.transform(done -> Future.succeededFuture(done.succeeded() ? success(done.result()) : failure(tool, done.cause())));
  }

  private Future<JsonObject> runAdmin(OpenRpc.Method method, Object arguments, Principal caller, String tool) {
    if (arguments != null && !(arguments instanceof JsonObject)) {
      return Future.failedFuture(invalidParams("Invalid params: tools/call params.arguments must be an object", null));
    }
    JsonObject args = arguments == null ? new JsonObject() : (JsonObject) arguments;
    return backend.admin().call(method.name(), args, caller.name())
        .transform(done -> Future.succeededFuture(done.succeeded() ? success(done.result()) : failure(tool, done.cause())));
  }

  private Future<JsonObject> run(OpenRpc.Method method, JsonObject args) {
    if (Requests.HEALTH.equals(method.name())) {
      if (!args.isEmpty()) {
        throw RpcException.invalidParams(args.fieldNames().iterator().next(),
            "is not a known argument: " + method.tool() + " takes no arguments");
      }
      return backend.health().get();
    }
    return backend.call().apply(Requests.parse(method.name(), args, limits, Instant.now()));
  }

  private static JsonObject success(JsonObject result) {
    return new JsonObject()
        .put("content", new JsonArray().add(text(result.encode())))
        .put("structuredContent", result)
        .put("isError", false);
  }

  private static JsonObject failure(String tool, Throwable cause) {
    RpcException error;
    if (cause instanceof RpcException rpc) {
      error = rpc;
    } else {
      LOG.error("Unexpected failure running MCP tool {}", tool, cause);
      error = new RpcException(ErrorCodes.INTERNAL_ERROR, "Internal error");
    }
    JsonObject detail = new JsonObject().put("code", error.code());
    if (error.data() != null) {
      detail.put("data", error.data());
    }
    return new JsonObject()
        .put("content", new JsonArray().add(text(error.getMessage() + "\n" + detail.encode())))
        .put("isError", true);
  }

  private static JsonObject definition(OpenRpc.Method method) {
    return new JsonObject()
        .put("name", method.tool())
        .put("title", method.title())
        .put("description", method.description())
        .put("inputSchema", method.params())
        .put("outputSchema", method.result())
        .put("annotations", new JsonObject()
            .put("title", method.title())
            .put("readOnlyHint", method.readOnly())
            .put("destructiveHint", false)
            .put("idempotentHint", method.idempotent())
            .put("openWorldHint", false));
  }

  private static JsonObject text(String text) {
    return new JsonObject().put("type", "text").put("text", text);
  }

  private static McpException invalidParams(String message, JsonObject data) {
    return new McpException(200, ErrorCodes.INVALID_PARAMS, message, data);
  }

  private static String cut(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "…" : value;
  }
}
