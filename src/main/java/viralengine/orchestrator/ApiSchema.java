package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.loops.LoopNames;
import viralengine.rpc.ErrorCodes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one description of the orchestrator's methods: names, prose, JSON Schemas of params and results,
 * error codes and examples. The OpenRPC document ({@code rpc.discover}) and the MCP tool definitions are
 * both generated from it, so the two can never drift apart; {@link Requests} remains the validator and
 * the tests check that the schemas agree with what it accepts and what the service answers.
 *
 * <p>The schemas use only keywords that mean the same in JSON Schema draft-07 (OpenRPC's dialect) and
 * 2020-12 (MCP's default dialect).
 */
public final class ApiSchema {
  /** The OpenRPC service-discovery method. */
  public static final String DISCOVER = "rpc.discover";
  /** The OpenRPC version the document declares. */
  public static final String OPENRPC_VERSION = "1.3.2";
  public static final String TITLE = "viral-engine orchestrator";
  private static final String VERSION = implementationVersion();
  private static final String VISIBLE_ASCII = "^[!-~]+$";
  private static final String PHASE_1 = "Phase 1: Event logged, no loops active yet";

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

  private final Requests.Limits limits;
  private final List<Method> methods;

  private ApiSchema(Requests.Limits limits) {
    this.limits = limits;
    this.methods = List.of(triggerEvent(), selectLoop(), health(), upsertLearner(), getLearner(), recordOutcome(),
        explainDecision(), loopReport());
  }

  /** The API as configured: the {@code context} bounds in the descriptions are the running ones. */
  public static ApiSchema of(Requests.Limits limits) {
    return new ApiSchema(limits);
  }

  /** trigger_event, select_loop, health, then the learner, outcome and explain methods. */
  public List<Method> methods() {
    return methods;
  }

  /** The version of this build ({@code Implementation-Version} of the JAR, or {@code dev}). */
  public static String version() {
    return VERSION;
  }

  /** The OpenRPC 1.3 document answered by {@code rpc.discover}. */
  public JsonObject openRpc() {
    return openRpc("orchestrator", "The orchestrator agent of the tutoring product's growth engine: it records learning"
        + " events, decides which viral loop (if any) to fire for a learner within the SLA, and keeps an audit"
        + " trail of every decision in PostgreSQL. JSON-RPC 2.0 over HTTP: POST /mcp/orchestrator (any method,"
        + " batches included) or POST /mcp/orchestrator/{method}. The same methods are MCP tools at POST /mcp.", methods);
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

  // ---- the methods ----

  private Method triggerEvent() {
    JsonObject params = objectSchema(
        new JsonArray().add("event_type").add("user_id"),
        "event_type", eventTypeSchema("The learning event that happened."),
        "user_id", idSchema("The learner's id: 1 to 128 visible ASCII characters, no spaces (send numeric ids as strings)."),
        "request_id", idSchema("Optional idempotency key (1 to 128 visible ASCII characters). Retrying with the same"
            + " request_id returns the first answer and records nothing new; reusing it with other params is error -32004."),
        "occurred_at", new JsonObject().put("type", "string").put("format", "date-time").put("maxLength", 64)
            .put("description", "When the event happened: ISO-8601 with an offset (for example 2026-11-25T10:15:30Z),"
                + " at most 5 minutes ahead and at most 365 days old. Defaults to the time it was received."),
        "context", contextSchema());
    JsonObject result = resultSchema(
        new JsonArray().add("decision_id").add("event_id").add("event_type").add("handler").add("outcome").add("loop")
            .add("action").add("eligible_loops").add("rationale").add("config_version").add("latency_ms"),
        "decision_id", uuid("Id of the decision row in agent_decisions."),
        "event_id", uuid("Id of the event row in viral_events."),
        "event_type", eventTypeSchema("The event type, as sent."),
        "handler", new JsonObject().put("type", "string").put("description", "The handler the event was routed to, e.g. practice_completed_handler."),
        "outcome", outcomeSchema(),
        "loop", loopSchema(),
        "action", actionSchema(),
        "variant", variantSchema(),
        "eligible_loops", eligibleSchema(),
        "rationale", rationale(),
        "config_version", configVersion(),
        "latency_ms", latency());
    JsonObject exampleResult = new JsonObject()
        .put("decision_id", "ea8d311b-e8ff-4ff8-89c6-9a1695477366")
        .put("event_id", "d7f34f84-c9e1-4e4a-ae52-ea97347fdd8a")
        .put("event_type", EventTypes.PRACTICE_COMPLETED)
        .put("handler", "practice_completed_handler")
        .put("outcome", "no_eligible_loop")
        .putNull("loop")
        .putNull("action")
        .put("eligible_loops", new JsonArray())
        .put("rationale", PHASE_1)
        .put("config_version", 0)
        .put("latency_ms", 2.468751);
    return new Method(Requests.TRIGGER_EVENT, Requests.TRIGGER_EVENT, "Record a learning event",
        "Record a learner's learning event and decide which viral loop, if any, fires",
        "Records a learning event (practice_completed, session_ended or diagnostic_completed) for a learner in"
            + " viral_events, routes it to its handler, runs the loop-eligibility checks (active flag, trigger match,"
            + " per-learner cooldown and daily cap) and logs the decision with its rationale in agent_decisions, all"
            + " within the orchestrator's SLA (orchestrator.timeout_ms). The answer says which loop to show (loop is"
            + " null when none fits; in Phase 1 no loop is active yet) and why. Send a request_id to make retries"
            + " safe. If the orchestrator is slow or its circuit breaker is open, the call fails with -32001 or"
            + " -32002 and nothing is decided: retry later with a new request_id.",
        params, result,
        List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.IDEMPOTENCY_CONFLICT, ErrorCodes.TIMEOUT, ErrorCodes.CIRCUIT_OPEN,
            ErrorCodes.ORCHESTRATOR_ERROR, ErrorCodes.OVERLOADED, ErrorCodes.INTERNAL_ERROR),
        List.of(new Example("A learner finished a practice set",
            "Records the event and the decision under request_id example-req-0001; repeating it returns the same answer.",
            new JsonObject().put("event_type", EventTypes.PRACTICE_COMPLETED).put("user_id", "learner-42")
                .put("request_id", "example-req-0001")
                .put("context", new JsonObject().put("skill", "fractions").put("score", 0.92)),
            exampleResult)),
        false, false);
  }

  private Method selectLoop() {
    JsonObject params = objectSchema(
        new JsonArray().add("user_id"),
        "user_id", idSchema("The learner's id: 1 to 128 visible ASCII characters, no spaces (send numeric ids as strings)."),
        "event_type", eventTypeSchema("Optional: the event the loop would follow; loops whose triggers do not include it are not eligible."),
        "context", contextSchema(),
        "request_id", idSchema("Optional idempotency key (1 to 128 visible ASCII characters). Retrying with the same"
            + " request_id returns the first answer and records nothing new; reusing it with other params is error -32004."),
        "dry_run", new JsonObject().put("type", "boolean").put("description", "Evaluate exactly as usual, but count"
            + " toward no cap or cooldown; the decision is logged and marked as a dry run."));
    JsonObject result = resultSchema(
        new JsonArray().add("decision_id").add("loop").add("eligible_loops").add("rationale").add("latency_ms"),
        "decision_id", uuid("Id of the decision row in agent_decisions."),
        "outcome", outcomeSchema(),
        "loop", loopSchema(),
        "action", actionSchema(),
        "variant", variantSchema(),
        "eligible_loops", eligibleSchema(),
        "rationale", rationale(),
        "config_version", configVersion(),
        "dry_run", new JsonObject().put("type", "boolean").put("description", "Present and true for a dry run."),
        "latency_ms", latency(),
        "degraded", new JsonObject().put("type", "boolean")
            .put("description", "Present and true only on the default decision, given when the orchestrator did not"
                + " decide in time (slow, circuit open, not running): loop is null and eligible_loops is empty."));
    JsonObject exampleResult = new JsonObject()
        .put("decision_id", "6b0d42b3-0008-4a16-8a39-09f58b5a84dd")
        .put("outcome", "no_eligible_loop")
        .putNull("loop")
        .putNull("action")
        .put("eligible_loops", new JsonArray())
        .put("rationale", PHASE_1)
        .put("config_version", 0)
        .put("latency_ms", 0.443545);
    return new Method(Requests.SELECT_LOOP, Requests.SELECT_LOOP, "Choose a viral loop",
        "Choose the viral loop to show a learner now, without recording an event",
        "Evaluates the viral loops (buddy_challenge, results_rally, proud_parent, tutor_spotlight) for a learner"
            + " and logs the decision in agent_decisions, without recording an event. Answers which loop to show"
            + " (null when none is eligible), every eligible loop and the reason. It never fails because the"
            + " orchestrator is slow or unavailable: then it answers the default decision (loop null, degraded true).",
        params, result,
        List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.IDEMPOTENCY_CONFLICT, ErrorCodes.OVERLOADED),
        List.of(new Example("Which loop should follow a finished session?",
            "The learner has no active loop in Phase 1, so the answer is no loop.",
            new JsonObject().put("user_id", "learner-42").put("event_type", EventTypes.SESSION_ENDED),
            exampleResult)),
        false, false);
  }

  private static Method health() {
    JsonObject params = new JsonObject().put("type", "object").put("properties", new JsonObject())
        .put("additionalProperties", false);
    JsonObject database = new JsonObject().put("type", "object")
        .put("required", new JsonArray().add("status"))
        .put("properties", new JsonObject()
            .put("status", new JsonObject().put("type", "string").put("enum", new JsonArray().add("up").add("down").add("unknown")))
            .put("latency_ms", new JsonObject().put("type", new JsonArray().add("number").add("null")))
            .put("error", new JsonObject().put("type", "string")));
    JsonObject lastError = new JsonObject().put("type", new JsonArray().add("object").add("null"))
        .put("description", "The last error the service met, or null.")
        .put("properties", new JsonObject()
            .put("message", new JsonObject().put("type", "string"))
            .put("at", new JsonObject().put("type", "string").put("format", "date-time")));
    JsonObject result = resultSchema(
        new JsonArray().add("status").add("circuit_breaker").add("database").add("last_error"),
        "status", new JsonObject().put("type", "string").put("enum", new JsonArray().add("ok").add("degraded").add("down"))
            .put("description", "ok; degraded when the circuit breaker is not closed, PostgreSQL does not answer or"
                + " decisions go to the local spool; down when no orchestrator answers."),
        "uptime_seconds", nonNegativeInteger(),
        "started_at", new JsonObject().put("type", "string").put("format", "date-time"),
        "version", new JsonObject().put("type", "string"),
        "active_loops", nonNegativeInteger(),
        "config_version", configVersion(),
        "cache_size", nonNegativeInteger(),
        "last_error", lastError,
        "circuit_breaker", new JsonObject().put("type", "string").put("enum", new JsonArray().add("closed").add("open").add("half_open")),
        "database", database,
        "pending_writes", nonNegativeInteger(),
        "spool", new JsonObject().put("type", "object")
            .put("properties", new JsonObject()
                .put("active", new JsonObject().put("type", "boolean"))
                .put("depth", nonNegativeInteger())),
        "auth", new JsonObject().put("type", "string").put("enum", new JsonArray().add("enabled").add("disabled"))
            .put("description", "Whether API tokens are required; disabled is for local development only."),
        "reason", new JsonObject().put("type", "string").put("description", "Only when status is down: why."),
        "cluster", new JsonObject().put("type", "object")
            .put("description", "Only in cluster mode (docs/cluster.md): this node's id, whether it has joined and owns"
                + " learners, the members it sees, the owner table (stable or changing, its version, this node's share)"
                + " and where its decisions were made (affinity counters)."));
    JsonObject exampleResult = new JsonObject()
        .put("status", "ok")
        .put("uptime_seconds", 3)
        .put("started_at", "2026-11-25T19:29:07.419Z")
        .put("version", "0.1.0")
        .put("active_loops", 0)
        .put("config_version", 0)
        .put("cache_size", 1)
        .putNull("last_error")
        .put("circuit_breaker", "closed")
        .put("database", new JsonObject().put("status", "up").put("latency_ms", 4.096295))
        .put("pending_writes", 0)
        .put("spool", new JsonObject().put("active", false).put("depth", 0))
        .put("auth", "disabled");
    return new Method(Requests.HEALTH, "orchestrator_health", "Orchestrator health",
        "The orchestrator's health: status, database, circuit breaker, pending writes and spool",
        "Reports whether the orchestrator can decide right now: status (ok, degraded or down), PostgreSQL"
            + " reachability and latency, the circuit breaker's state, decisions accepted but not yet durable, the"
            + " outage spool and the last error. Read-only; takes no params. Answers even while the circuit is open.",
        params, result,
        List.of(ErrorCodes.OVERLOADED),
        List.of(new Example("Check the service", "A healthy service.", new JsonObject(), exampleResult)),
        true, true);
  }

  private static Method upsertLearner() {
    JsonObject params = objectSchema(new JsonArray().add("user_id"),
        "user_id", idSchema("The learner's id."),
        "timezone", new JsonObject().put("type", "string").put("maxLength", 64)
            .put("description", "IANA time zone such as America/Los_Angeles; calendar caps count in it. Default UTC."),
        "birth_year", new JsonObject().put("type", "integer").put("minimum", Requests.MIN_BIRTH_YEAR)
            .put("description", "Year of birth; ages count as the youngest the learner can be."),
        "persona", new JsonObject().put("type", "string").put("enum", new JsonArray(Requests.PERSONAS))
            .put("description", "Who uses the product: a student, a parent or a tutor."),
        "parental_consent", new JsonObject().put("type", "string").put("enum", new JsonArray(Requests.CONSENTS))
            .put("description", "Default unknown. Loops that require consent are shown to under-13s only when granted."),
        "growth_opt_out", new JsonObject().put("type", "boolean").put("description", "True keeps the learner out of every loop."),
        "attributes", new JsonObject().put("type", "object").put("description", "Free-form attributes for targeting"
            + " (learner.attributes.*), at most " + Requests.MAX_ATTRIBUTES_BYTES + " bytes and "
            + Requests.MAX_ATTRIBUTES_DEPTH + " levels."));
    JsonObject example = learnerExample();
    return new Method(Requests.UPSERT_LEARNER, Requests.UPSERT_LEARNER, "Create or update a learner profile",
        "Store what the product knows about a learner: time zone, birth year, persona, consent, opt-out, attributes",
        "Creates or updates a learner profile. Fields left out keep their stored value. Answers the stored profile.",
        params, learnerSchema(), List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.OVERLOADED),
        List.of(new Example("A learner in Los Angeles", "Sets the zone, birth year, persona and consent.",
            new JsonObject().put("user_id", "learner-42").put("timezone", "America/Los_Angeles").put("birth_year", 2014)
                .put("persona", "student").put("parental_consent", "granted"), example)),
        false, true);
  }

  private static Method getLearner() {
    JsonObject params = objectSchema(new JsonArray().add("user_id"), "user_id", idSchema("The learner's id."));
    return new Method(Requests.GET_LEARNER, Requests.GET_LEARNER, "Read a learner profile",
        "Read a learner profile, or the defaults for a learner never seen", "Answers the stored profile; a learner"
            + " never seen gets the defaults (UTC, consent unknown, not opted out).",
        params, learnerSchema(), List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.OVERLOADED),
        List.of(new Example("Read a profile", "The learner stored above.", new JsonObject().put("user_id", "learner-42"),
            learnerExample())),
        true, true);
  }

  private Method recordOutcome() {
    JsonObject params = objectSchema(new JsonArray().add("decision_id").add("outcome"),
        "decision_id", uuid("The decision the outcome follows: one that selected a loop or held the learner out."),
        "outcome", new JsonObject().put("type", "string").put("enum", new JsonArray(Requests.OUTCOMES))
            .put("description", "What happened; dismissed starts the loop's dismiss cooldown for the learner."),
        "occurred_at", new JsonObject().put("type", "string").put("format", "date-time").put("maxLength", 64)
            .put("description", "When it happened (ISO-8601 with an offset); defaults to now."),
        "request_id", idSchema("Optional idempotency key: a retry answers the first outcome and records nothing new."),
        "referred_user_id", idSchema("With invite_accepted, joined or fvm_reached: the learner who came in."),
        "context", contextSchema());
    JsonObject result = resultSchema(new JsonArray().add("outcome_id").add("decision_id").add("outcome").add("occurred_at"),
        "outcome_id", uuid("Id of the outcome row."),
        "decision_id", uuid("The decision it follows."),
        "outcome", new JsonObject().put("type", "string").put("enum", new JsonArray(Requests.OUTCOMES)),
        "loop", loopSchema(),
        "occurred_at", new JsonObject().put("type", "string").put("format", "date-time"),
        "rewards", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "object"))
            .put("description", "Present for a joined outcome with referred_user_id through a loop with an incentive: what"
                + " each side was granted by the incentives agent, {role, user_id, reward_type, granted, grant_id or"
                + " reason, balance}; the same grants on every retry."));
    return new Method(Requests.RECORD_OUTCOME, Requests.RECORD_OUTCOME, "Record what happened after a decision",
        "Record an outcome (shown, dismissed, clicked, shared, invite_sent, invite_accepted, joined, fvm_reached)",
        "Records what happened after a decision that selected a loop or held the learner out. A missing decision is"
            + " -32006; a decision that selected nothing, a dry run or a default decision is -32602.",
        params, result, List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.NOT_FOUND, ErrorCodes.IDEMPOTENCY_CONFLICT,
            ErrorCodes.OVERLOADED),
        List.of(),
        false, true);
  }

  private static Method explainDecision() {
    JsonObject params = objectSchema(new JsonArray().add("decision_id"), "decision_id", uuid("The decision to explain."));
    JsonObject result = resultSchema(new JsonArray().add("decision_id").add("input").add("result").add("checks")
            .add("outcomes"),
        "decision_id", uuid("The decision."),
        "outcome", new JsonObject().put("type", new JsonArray().add("string").add("null")),
        "loop", loopSchema(),
        "config_version", new JsonObject().put("type", new JsonArray().add("integer").add("null")),
        "input", new JsonObject().put("type", "object").put("description", "The params as received."),
        "result", new JsonObject().put("type", new JsonArray().add("object").add("null"))
            .put("description", "What the caller was told."),
        "checks", new JsonObject().put("type", "array").put("description", "Every loop's reason code and detail."),
        "experiments", new JsonObject().put("type", new JsonArray().add("object").add("null"))
            .put("description", "The assignments the decision was made with: holdout, the variant shown per loop, and"
                + " for a holdout the counterfactual loop."),
        "outcomes", new JsonObject().put("type", "array").put("description", "The outcomes recorded so far, oldest first."));
    return new Method(Requests.EXPLAIN_DECISION, Requests.EXPLAIN_DECISION, "Explain a decision",
        "What was decided and why: input, result, every loop's check, config version and outcomes so far",
        "Answers the decision as logged: the params, the result the caller received, every loop's reason code and"
            + " detail, the config version it was made with, whether it was a dry run, and the outcomes recorded.",
        params, result, List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.NOT_FOUND, ErrorCodes.OVERLOADED),
        List.of(), true, true);
  }

  private static Method loopReport() {
    JsonObject instant = new JsonObject().put("type", "string").put("format", "date-time").put("maxLength", 64);
    JsonObject params = objectSchema(new JsonArray().add("from").add("to"),
        "from", instant.copy().put("description", "Start of the range (inclusive): decisions made at or after it."
            + " ISO-8601 with an offset, such as 2026-11-01T00:00:00Z."),
        "to", instant.copy().put("description", "End of the range (exclusive), after from and at most "
            + Requests.MAX_REPORT_RANGE.toDays() + " days after it."),
        "group_by", new JsonObject().put("type", "string").put("enum", new JsonArray(Requests.GROUP_BYS))
            .put("description", "One row per loop (the default), per loop and variant, or per loop and event type."));
    JsonObject interval = new JsonObject().put("type", "object").put("description", "A figure with its 95% interval:"
        + " value, low, high (null when undefined) and the method (wilson, poisson or wald).");
    JsonObject result = resultSchema(new JsonArray().add("from").add("to").add("group_by").add("complete").add("rows"),
        "from", new JsonObject().put("type", "string").put("format", "date-time"),
        "to", new JsonObject().put("type", "string").put("format", "date-time"),
        "group_by", new JsonObject().put("type", "string").put("enum", new JsonArray(Requests.GROUP_BYS)),
        "complete", new JsonObject().put("type", "boolean").put("description", "False when rows recorded before the"
            + " report were still waiting to be folded into the rollups (a backlog); ask again shortly."),
        "rows", new JsonObject().put("type", "array").put("description", "One object per loop (and variant or event"
            + " type): selections, learners_selected, learners_exposed, shown, invite_sent, joined, fvm_reached; rates"
            + " {shown, exposed, invite_sent, joined, fvm_reached} each with numerator, denominator and interval;"
            + " k_factor, joins_per_learner and lift with intervals; holdout {decisions, learners, joined,"
            + " joins_per_learner}.").put("items", new JsonObject().put("type", "object")
            .put("required", new JsonArray().add("loop").add("selections").add("learners_exposed").add("shown")
                .add("invite_sent").add("joined").add("fvm_reached").add("rates").add("k_factor").add("lift"))
            .put("properties", new JsonObject().put("k_factor", interval).put("lift", interval))));
    return new Method(Requests.LOOP_REPORT, Requests.LOOP_REPORT, "Report on the loops",
        "Selections, exposures, invites, joins, K-factor and lift against the holdout, with 95% intervals",
        "Counts the decisions made in [from, to) that selected a loop or held the learner out, and the outcomes"
            + " recorded for them: selections, distinct learners selected and exposed (with a shown), shown,"
            + " invite_sent, joined, fvm_reached; each rate with a 95% interval; the K-factor (invites per exposed"
            + " learner times joins per invite) and the lift in joins per learner against the holdout (held-out"
            + " decisions whose counterfactual is the row's loop). Read-only; answers from hourly rollups in well under"
            + " a second over millions of decisions. See docs/measure-and-learn.md.",
        params, result, List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.OVERLOADED),
        List.of(), true, true);
  }

  private static JsonObject learnerSchema() {
    return resultSchema(new JsonArray().add("user_id").add("timezone").add("parental_consent").add("growth_opt_out")
            .add("attributes"),
        "user_id", new JsonObject().put("type", "string"),
        "timezone", new JsonObject().put("type", "string"),
        "birth_year", new JsonObject().put("type", new JsonArray().add("integer").add("null")),
        "persona", new JsonObject().put("type", new JsonArray().add("string").add("null")),
        "parental_consent", new JsonObject().put("type", "string").put("enum", new JsonArray(Requests.CONSENTS)),
        "growth_opt_out", new JsonObject().put("type", "boolean"),
        "attributes", new JsonObject().put("type", "object"),
        "experiments", new JsonObject().put("type", "object")
            .put("description", "The learner's assignments: holdout (true when held out of every loop, by sticky"
                + " salted hash) and variants (the variant key assigned per loop name).")
            .put("properties", new JsonObject().put("holdout", new JsonObject().put("type", "boolean"))
                .put("variants", new JsonObject().put("type", "object"))));
  }

  private static JsonObject learnerExample() {
    return new JsonObject().put("user_id", "learner-42").put("timezone", "America/Los_Angeles").put("birth_year", 2014)
        .put("persona", "student").put("parental_consent", "granted").put("growth_opt_out", false)
        .put("attributes", new JsonObject())
        .put("experiments", new JsonObject().put("holdout", false).put("variants", new JsonObject()));
  }

  // ---- schema pieces ----

  private static JsonObject outcomeSchema() {
    return new JsonObject().put("type", "string")
        .put("enum", new JsonArray().add("selected").add("no_eligible_loop").add("opted_out").add("holdout").add("degraded"))
        .put("description", "selected: show loop; no_eligible_loop: every loop failed a check; opted_out: the learner"
            + " opted out of growth loops; holdout: a loop would have been selected, but the learner is in the holdout"
            + " (loop and action are null).");
  }

  private static JsonObject variantSchema() {
    return new JsonObject().put("type", "string")
        .put("description", "Present when the selected loop has variants: the key of the learner's variant, whose"
            + " payload is action.");
  }

  private static JsonObject actionSchema() {
    return new JsonObject().put("type", new JsonArray().add("object").add("null"))
        .put("description", "The chosen loop's payload for the product to render, or null.");
  }

  private static JsonObject eligibleSchema() {
    return new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string"))
        .put("description", "Every loop that passed the checks, best first (features_used.checks in the log says why"
            + " the others did not).");
  }

  private static JsonObject configVersion() {
    return new JsonObject().put("type", "integer").put("minimum", 0)
        .put("description", "The loop configuration this decision was made with (it rises with every admin change).");
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

  private static JsonObject idSchema(String description) {
    return new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", Requests.MAX_ID_LENGTH)
        .put("pattern", VISIBLE_ASCII).put("description", description);
  }

  private static JsonObject eventTypeSchema(String description) {
    return new JsonObject().put("type", "string").put("enum", new JsonArray(EventTypes.ALL)).put("description", description);
  }

  private JsonObject contextSchema() {
    return new JsonObject().put("type", "object")
        .put("description", "Optional free-form facts about the event, such as {\"skill\": \"fractions\", \"score\": 0.92};"
            + " at most " + limits.maxContextBytes() + " bytes encoded and " + limits.maxContextDepth() + " levels deep.");
  }

  private static JsonObject uuid(String description) {
    return new JsonObject().put("type", "string").put("format", "uuid").put("description", description);
  }

  private static JsonObject loopSchema() {
    return new JsonObject().put("type", new JsonArray().add("string").add("null"))
        .put("description", "The loop to show, or null for none. Seeded loops: " + String.join(", ",
            LoopNames.BUDDY_CHALLENGE, LoopNames.RESULTS_RALLY, LoopNames.PROUD_PARENT, LoopNames.TUTOR_SPOTLIGHT) + ".");
  }

  private static JsonObject rationale() {
    return new JsonObject().put("type", "string").put("description", "Why this decision, in words.");
  }

  private static JsonObject latency() {
    return new JsonObject().put("type", "number").put("minimum", 0)
        .put("description", "The orchestrator's time from receiving the call to its decision, in milliseconds.");
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
    String version = ApiSchema.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
