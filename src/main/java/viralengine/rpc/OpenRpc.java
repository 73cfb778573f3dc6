package viralengine.rpc;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds every agent's OpenRPC 1.3 document ({@code rpc.discover}) and the JSON Schemas inside it, from
 * {@link Method}s that each agent describes. The service's error codes are documented once, here, as the
 * components every document shares.
 */
public final class OpenRpc {
  /** The OpenRPC service-discovery method. */
  public static final String DISCOVER = "rpc.discover";
  /** The OpenRPC version the document declares. */
  public static final String OPENRPC_VERSION = "1.3.2";
  public static final String TITLE = "viral-engine orchestrator";
  private static final String VERSION = implementationVersion();

  /**
   * One method. {@code tool} is its MCP tool name; {@code params} is an object schema whose properties
   * are the named params; {@code readOnly} and {@code idempotent} feed the MCP tool annotations.
   */
  public record Method(String name, String tool, String title, String summary, String description,
      JsonObject params, JsonObject result, List<Integer> errors, List<Example> examples,
      boolean readOnly, boolean idempotent) {}

  /** A documented call: named params and the result it answers with (ids and times differ per call). */
  public record Example(String name, String description, JsonObject params, JsonObject result) {}

  /** One documented error: its JSON-RPC code, its OpenRPC component name, and what it means. */
  private record ErrorDoc(int code, String name, String message) {}

  private static final List<ErrorDoc> ERRORS = List.of(
      new ErrorDoc(ErrorCodes.PARSE_ERROR, "ParseError", "Parse error: the body is not valid JSON"),
      new ErrorDoc(ErrorCodes.INVALID_REQUEST, "InvalidRequest",
          "Invalid Request: not a JSON-RPC 2.0 request, an empty or too long batch, or a method that does not match the path"),
      new ErrorDoc(ErrorCodes.METHOD_NOT_FOUND, "MethodNotFound", "Method not found; data.methods lists the methods"),
      new ErrorDoc(ErrorCodes.INVALID_PARAMS, "InvalidParams", "Invalid params; data says which field and why"),
      new ErrorDoc(ErrorCodes.INTERNAL_ERROR, "InternalError", "Internal error (no details are given)"),
      new ErrorDoc(ErrorCodes.ORCHESTRATOR_ERROR, "OrchestratorError",
          "The orchestrator failed or is not available; data.decision_id names the logged answer"),
      new ErrorDoc(ErrorCodes.TIMEOUT, "Timeout", "The orchestrator did not answer within the SLA; data.decision_id names the logged answer"),
      new ErrorDoc(ErrorCodes.CIRCUIT_OPEN, "CircuitOpen",
          "The circuit breaker is open and the orchestrator was not called; data.decision_id names the logged answer"),
      new ErrorDoc(ErrorCodes.OVERLOADED, "Overloaded",
          "Overloaded: too many requests in flight, or the decision log is full; retry later (HTTP 503 with Retry-After);"
              + " or this token's rate limit is spent (HTTP 429 with Retry-After, data.reason rate_limited)"),
      new ErrorDoc(ErrorCodes.IDEMPOTENCY_CONFLICT, "IdempotencyConflict",
          "Idempotency conflict: request_id was already used with a different method or params"),
      new ErrorDoc(ErrorCodes.VERSION_CONFLICT, "VersionConflict",
          "Version conflict: expected_version is not the stored version; data.current_version says which is"),
      new ErrorDoc(ErrorCodes.NOT_FOUND, "NotFound", "Not found: the named decision, loop or frequency rule does not exist"),
      new ErrorDoc(ErrorCodes.FORBIDDEN, "Forbidden",
          "Forbidden: the API token lacks the scope this route needs (HTTP 403); the message and data.scope name it"));

  private static final Map<Integer, String> ERROR_NAMES = errorNames();
  private static final Map<Integer, String> ERROR_MESSAGES = errorMessages();

  /** The version of this build ({@code Implementation-Version} of the JAR, or {@code dev}). */
  public static String version() {
    return VERSION;
  }

  /**
   * The OpenRPC 1.3 document of one agent: its methods, then {@code rpc.discover}, and every error code of
   * the service as components. Every agent's document is built here, from {@link Method}s.
   */
  public static JsonObject openRpc(String agent, String description, List<Method> methods) {
    JsonArray list = new JsonArray();
    for (Method method : methods) {
      list.add(openRpcMethod(method));
    }
    list.add(discoverMethod(agent, methods.get(0).name()));
    JsonObject errors = new JsonObject();
    ERROR_NAMES.forEach((code, name) -> errors.put(name, errorObject(code)));
    return new JsonObject()
        .put("openrpc", OPENRPC_VERSION)
        .put("info", new JsonObject()
            .put("title", agent.equals("orchestrator") ? TITLE : TITLE + ": " + agent + " agent")
            .put("version", VERSION)
            .put("description", description))
        .put("methods", list)
        .put("components", new JsonObject().put("errors", errors));
  }

  private static JsonObject openRpcMethod(Method method) {
    JsonArray params = new JsonArray();
    JsonObject properties = method.params().getJsonObject("properties");
    JsonArray required = method.params().getJsonArray("required", new JsonArray());
    for (String name : properties.fieldNames()) {
      JsonObject schema = properties.getJsonObject(name);
      params.add(new JsonObject()
          .put("name", name)
          .put("description", schema.getString("description"))
          .put("required", required.contains(name))
          .put("schema", schema));
    }
    JsonArray errors = new JsonArray();
    for (int code : method.errors()) {
      errors.add(new JsonObject().put("$ref", "#/components/errors/" + ERROR_NAMES.get(code)));
    }
    JsonArray examples = new JsonArray();
    for (Example example : method.examples()) {
      JsonArray values = new JsonArray();
      example.params().forEach(param -> values.add(new JsonObject().put("name", param.getKey()).put("value", param.getValue())));
      examples.add(new JsonObject()
          .put("name", example.name())
          .put("description", example.description())
          .put("params", values)
          .put("result", new JsonObject().put("name", method.name() + " result").put("value", example.result())));
    }
    return new JsonObject()
        .put("name", method.name())
        .put("summary", method.summary())
        .put("description", method.description())
        .put("paramStructure", "by-name")
        .put("params", params)
        .put("result", new JsonObject().put("name", method.name() + " result").put("schema", method.result()))
        .put("errors", errors)
        .put("examples", examples);
  }

  private static JsonObject discoverMethod(String agent, String firstMethod) {
    JsonObject schema = new JsonObject()
        .put("type", "object")
        .put("description", "An OpenRPC document; see https://spec.open-rpc.org and the meta-schema at https://meta.open-rpc.org/.")
        .put("required", new JsonArray().add("openrpc").add("info").add("methods"))
        .put("properties", new JsonObject()
            .put("openrpc", new JsonObject().put("type", "string"))
            .put("info", new JsonObject().put("type", "object"))
            .put("methods", new JsonObject().put("type", "array"))
            .put("components", new JsonObject().put("type", "object")));
    JsonObject example = new JsonObject()
        .put("openrpc", OPENRPC_VERSION)
        .put("info", new JsonObject().put("title", TITLE).put("version", VERSION))
        .put("methods", new JsonArray().add(new JsonObject().put("name", firstMethod)))
        .put("components", new JsonObject().put("errors", new JsonObject()));
    return new JsonObject()
        .put("name", DISCOVER)
        .put("summary", "This document: every method with its params, result, errors and examples")
        .put("description", "OpenRPC service discovery. Takes no params and returns this OpenRPC " + OPENRPC_VERSION
            + " document. Also served at POST /mcp/" + agent + "/rpc.discover.")
        .put("paramStructure", "by-name")
        .put("params", new JsonArray())
        .put("result", new JsonObject().put("name", "OpenRPC document").put("schema", schema))
        .put("errors", new JsonArray())
        .put("examples", new JsonArray().add(new JsonObject()
            .put("name", "Discover the API")
            .put("params", new JsonArray())
            .put("result", new JsonObject().put("name", "OpenRPC document").put("value", example))));
  }

  private static JsonObject errorObject(int code) {
    JsonObject error = new JsonObject().put("code", code).put("message", ERROR_MESSAGES.get(code));
    switch (code) {
      case ErrorCodes.INVALID_PARAMS -> error.put("data", new JsonObject().put("field", "user_id").put("reason", "is required"));
      case ErrorCodes.IDEMPOTENCY_CONFLICT -> error.put("data", new JsonObject().put("request_id", "req-0001"));
      case ErrorCodes.VERSION_CONFLICT -> error.put("data", new JsonObject().put("expected_version", 3).put("current_version", 4));
      case ErrorCodes.TIMEOUT, ErrorCodes.CIRCUIT_OPEN, ErrorCodes.ORCHESTRATOR_ERROR ->
          error.put("data", new JsonObject().put("decision_id", "ea8d311b-e8ff-4ff8-89c6-9a1695477366"));
      default -> { }
    }
    return error;
  }

  /** An object schema of named params: {@code required} names, then name/schema pairs; no other fields allowed. */
  public static JsonObject objectSchema(JsonArray required, Object... properties) {
    return new JsonObject().put("type", "object").put("properties", properties(properties))
        .put("required", required).put("additionalProperties", false);
  }

  /** An object schema of a result: {@code required} names, then name/schema pairs. */
  public static JsonObject resultSchema(JsonArray required, Object... properties) {
    return new JsonObject().put("type", "object").put("properties", properties(properties)).put("required", required);
  }

  private static JsonObject properties(Object... namesAndSchemas) {
    JsonObject properties = new JsonObject();
    for (int i = 0; i < namesAndSchemas.length; i += 2) {
      properties.put((String) namesAndSchemas[i], namesAndSchemas[i + 1]);
    }
    return properties;
  }

  public static JsonObject nonNegativeInteger() {
    return new JsonObject().put("type", "integer").put("minimum", 0);
  }

  private static Map<Integer, String> errorNames() {
    Map<Integer, String> names = new LinkedHashMap<>();
    ERRORS.forEach(e -> names.put(e.code(), e.name()));
    return names;
  }

  private static Map<Integer, String> errorMessages() {
    Map<Integer, String> messages = new LinkedHashMap<>();
    ERRORS.forEach(e -> messages.put(e.code(), e.message()));
    return messages;
  }

  private static String implementationVersion() {
    String version = OpenRpc.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
  private OpenRpc() {}
}
