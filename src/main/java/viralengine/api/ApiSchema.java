package viralengine.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.OpenRpc.Example;
import viralengine.rpc.OpenRpc.Method;
import viralengine.rpc.OpenRpc;

import java.util.List;

import static viralengine.rpc.OpenRpc.nonNegativeInteger;
import static viralengine.rpc.OpenRpc.objectSchema;
import static viralengine.rpc.OpenRpc.resultSchema;

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
  private static final String VISIBLE_ASCII = "^[!-~]+$";
  private static final String PHASE_1 = "Phase 1: Event logged, no loops active yet";

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

  /** The OpenRPC 1.3 document answered by {@code rpc.discover}. */
  public JsonObject openRpc() {
    return OpenRpc.openRpc("orchestrator", "The orchestrator agent of the tutoring product's growth engine: it records learning"
        + " events, decides which viral loop (if any) to fire for a learner within the SLA, and keeps an audit"
        + " trail of every decision in PostgreSQL. JSON-RPC 2.0 over HTTP: POST /mcp/orchestrator (any method,"
        + " batches included) or POST /mcp/orchestrator/{method}. The same methods are MCP tools at POST /mcp.", methods);
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
        "flagged", new JsonObject().put("type", "boolean").put("description", "Present and true when trust_safety"
            + " flagged the loop shown: it is shown, and the decision is marked for review."),
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
        "flagged", new JsonObject().put("type", "boolean").put("description", "Present and true when trust_safety"
            + " flagged the loop shown: it is shown, and the decision is marked for review."),
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
        "agents", new JsonObject().put("type", "array").put("description", "Each call to a peer agent the decision"
            + " made: {agent, method, latency_ms, outcome (ok, timeout, error, circuit_open or invalid), fallback,"
            + " verdict?}; empty when none was made (a holdout, nothing eligible)."),
        "propensity", new JsonObject().put("type", new JsonArray().add("number").add("null"))
            .put("description", "The probability the strategy gave the chosen (or counterfactual) loop; every eligible"
                + " loop's is in features_used.propensities. Null when no loop was eligible, or for older rows."),
        "outcomes", new JsonObject().put("type", "array").put("description", "The outcomes recorded so far, oldest first."),
        "learner_erased", new JsonObject().put("type", "boolean").put("description", "True when the learner was"
            + " forgotten (admin forget_learner): input names their tombstone, and what was personal is gone."));
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
            + " joins_per_learner}; srm {expected, observed, p_value, alarm}: the sample-ratio check of learners per"
            + " arm against the configured split (treatment and holdout; for group_by variant, the loop's variants"
            + " against their weights, null without variants), alarm at p < 0.001. Every interval also carries"
            + " sequential {low, high, method: msprt}, an always-valid 95% interval that may be read at any time."
            + " group_by strategy: rows per policy {strategy, selections, learners, invite_sent, joined, fvm_reached,"
            + " joins_per_learner}, with lift {of, over} of the configured strategy over the holdback and srm of the"
            + " holdback split at the top level.").put("items", new JsonObject().put("type", "object")
            .put("required", new JsonArray().add("loop").add("selections").add("learners_exposed").add("shown")
                .add("invite_sent").add("joined").add("fvm_reached").add("rates").add("k_factor").add("lift"))
            .put("properties", new JsonObject().put("k_factor", interval).put("lift", interval))));
    return new Method(Requests.LOOP_REPORT, Requests.LOOP_REPORT, "Report on the loops",
        "Selections, exposures, invites, joins, K-factor and lift against the holdout, with 95% intervals",
        "Counts the decisions made in [from, to) that selected a loop or held the learner out, and the outcomes"
            + " recorded for them: selections, distinct learners selected and exposed (with a shown), shown,"
            + " invite_sent, joined, fvm_reached; each rate with a 95% interval; the K-factor (invites per exposed"
            + " learner times joins per invite) and the lift in joins per learner against the holdout (held-out"
            + " decisions whose counterfactual is the row's loop), and a chi-square sample-ratio check of the split."
            + " Read-only; answers from hourly rollups in well under"
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
        .put("description", "The chosen loop's payload for the product to render, or null: the loop's (or variant's)"
            + " action with personalization's headline, body, cta and share_copy merged in, and reward {type, amount,"
            + " expires_in_days} when incentives offers one.");
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

}
