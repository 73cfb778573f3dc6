package viralengine.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.api.EventTypes;
import viralengine.loops.Loop;
import viralengine.loops.LoopJson;
import viralengine.loops.RuleJson;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.OpenRpc;

import java.util.List;

import static viralengine.rpc.OpenRpc.objectSchema;
import static viralengine.rpc.OpenRpc.resultSchema;

/**
 * The admin agent's methods, described with the same {@link OpenRpc.Method} model and builders as the
 * orchestrator's, so its OpenRPC document ({@code rpc.discover} on {@code /mcp/admin}) is generated the same way.
 */
public final class AdminSchema {
  private static final String SLUG = "^[a-z][a-z0-9_]{0,63}$";
  private static final List<Integer> READ_ERRORS = List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.OVERLOADED,
      ErrorCodes.INTERNAL_ERROR);
  private static final List<Integer> LOOP_READ_ERRORS = List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.NOT_FOUND,
      ErrorCodes.OVERLOADED, ErrorCodes.INTERNAL_ERROR);
  private static final List<Integer> WRITE_ERRORS = List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.VERSION_CONFLICT,
      ErrorCodes.NOT_FOUND, ErrorCodes.OVERLOADED, ErrorCodes.INTERNAL_ERROR);

  private AdminSchema() {}

  public static List<OpenRpc.Method> methods() {
    return List.of(listLoops(), getLoop(), upsertLoop(), setLoopActive(), listRules(), upsertRule(), deleteRule(),
        listChanges(), forgetLearner());
  }

  /** The OpenRPC document answered by {@code rpc.discover} on the admin agent. */
  public static JsonObject openRpc() {
    return OpenRpc.openRpc(AdminApi.AGENT, "The admin agent: a growth team manages viral loops (triggers, audience,"
        + " targeting, cooldowns, the action payload) and frequency rules as data, without SQL or a deploy. Every write"
        + " is validated (errors name the path), guarded by optimistic concurrency (expected_version), audited (who,"
        + " when, before, after) and reaches every running instance within a second. JSON-RPC 2.0 over HTTP:"
        + " POST /mcp/admin (any method, batches included) or POST /mcp/admin/{method}.", methods());
  }

  // ---- the methods ----

  private static OpenRpc.Method listLoops() {
    JsonObject result = resultSchema(new JsonArray().add("loops").add("config_version"),
        "loops", new JsonObject().put("type", "array").put("items", loopSchema())
            .put("description", "Every loop, active or not, highest priority first."),
        "config_version", configVersion());
    return method(AdminApi.LIST_LOOPS, "List loops", "Every viral loop with its full configuration",
        "Lists every loop, active or not, highest priority first, with the catalog's config_version.",
        noParams(), result, READ_ERRORS,
        example("All loops", new JsonObject(), new JsonObject().put("loops", new JsonArray().add(exampleLoop()))
            .put("config_version", 7)), true, true);
  }

  private static OpenRpc.Method getLoop() {
    JsonObject params = objectSchema(new JsonArray().add("name"), "name", slug("The loop's name."));
    JsonObject result = resultSchema(new JsonArray().add("loop").add("config_version"),
        "loop", loopSchema(), "config_version", configVersion());
    return method(AdminApi.GET_LOOP, "Get a loop", "One loop by name, with its version",
        "Returns one loop with its current version (send it back as expected_version to change it safely),"
            + " or -32006 when no loop has that name.",
        params, result, LOOP_READ_ERRORS,
        example("Read buddy_challenge", new JsonObject().put("name", "buddy_challenge"),
            new JsonObject().put("loop", exampleLoop()).put("config_version", 7)), true, true);
  }

  private static OpenRpc.Method upsertLoop() {
    JsonObject params = objectSchema(new JsonArray().add("loop"),
        "loop", loopSchema().put("description", "The whole loop as it should be. version is not sent: it is assigned."),
        "expected_version", expectedVersion(0, "Optional: the version you read. The write happens only if the loop is"
            + " still at that version, otherwise -32005. 0 means create only: -32005 if the loop exists."));
    JsonObject result = resultSchema(new JsonArray().add("loop").add("created").add("changed").add("config_version"),
        "loop", loopSchema(),
        "created", bool("True when the loop did not exist before."),
        "changed", bool("False when the loop was already exactly so: nothing was written or audited."),
        "config_version", configVersion());
    JsonObject loop = exampleLoop();
    loop.remove("version");
    return method(AdminApi.UPSERT_LOOP, "Create or replace a loop", "Create a loop, or replace one safely",
        "Validates the loop (an unknown field, a trigger that is not an event type, a bad targeting operator or an"
            + " out-of-range number is -32602 whose data.field names the path, e.g. loop.targeting.context.score.$regex),"
            + " then writes it, its audit row and a change notification in one transaction. With expected_version"
            + " the write happens only over that version (-32005 otherwise; -32006 if the loop does not exist).",
        params, result, WRITE_ERRORS,
        example("Replace buddy_challenge over version 1", new JsonObject().put("loop", loop).put("expected_version", 1),
            new JsonObject().put("loop", exampleLoop().put("version", 2)).put("created", false).put("changed", true)
                .put("config_version", 8)), false, true);
  }

  private static OpenRpc.Method setLoopActive() {
    JsonObject params = objectSchema(new JsonArray().add("name").add("active"),
        "name", slug("The loop's name."),
        "active", bool("true to let decisions select the loop, false to stop it."),
        "expected_version", expectedVersion(1, "Optional: the version you read; -32005 if the loop has changed since."));
    JsonObject result = resultSchema(new JsonArray().add("loop").add("changed").add("config_version"),
        "loop", loopSchema(), "created", bool("Always false."),
        "changed", bool("False when the loop was already in that state."), "config_version", configVersion());
    return method(AdminApi.SET_LOOP_ACTIVE, "Turn a loop on or off", "Activate or deactivate a loop",
        "Sets a loop's active flag, audited and announced to every instance like any write. -32006 when no loop has"
            + " that name, -32005 when expected_version is stale.",
        params, result, WRITE_ERRORS,
        example("Activate buddy_challenge", new JsonObject().put("name", "buddy_challenge").put("active", true)
                .put("expected_version", 1),
            new JsonObject().put("loop", exampleLoop().put("active", true).put("version", 2)).put("changed", true)
                .put("config_version", 8)), false, true);
  }

  private static OpenRpc.Method listRules() {
    JsonObject result = resultSchema(new JsonArray().add("rules").add("config_version"),
        "rules", new JsonObject().put("type", "array").put("items", ruleSchema()), "config_version", configVersion());
    return method(AdminApi.LIST_FREQUENCY_RULES, "List frequency rules", "Every frequency rule",
        "Lists every frequency rule by id. A decision selects a loop only if every rule that applies to it holds.",
        noParams(), result, READ_ERRORS,
        example("All rules", new JsonObject(), new JsonObject().put("rules", new JsonArray().add(exampleRule()))
            .put("config_version", 7)), true, true);
  }

  private static OpenRpc.Method upsertRule() {
    JsonObject params = objectSchema(new JsonArray().add("rule"), "rule", ruleSchema());
    JsonObject result = resultSchema(new JsonArray().add("rule").add("created").add("changed").add("config_version"),
        "rule", ruleSchema(), "created", bool("True when no rule had this id."),
        "changed", bool("False when the rule was already exactly so."), "config_version", configVersion());
    JsonObject rule = new JsonObject().put("id", "social_weekly").put("scope", "group").put("scope_key", "social")
        .put("max_count", 2).put("period", "calendar_week");
    return method(AdminApi.UPSERT_FREQUENCY_RULE, "Create or replace a frequency rule", "Create or replace a frequency rule",
        "Validates the rule (-32602 naming the path, e.g. rule.max_count) and writes it with its audit row. A loop"
            + " rule must name an existing loop.",
        params, result, WRITE_ERRORS,
        example("At most 2 social loops per calendar week", new JsonObject().put("rule", rule),
            new JsonObject().put("rule", rule).put("created", true).put("changed", true).put("config_version", 9)),
        false, true);
  }

  private static OpenRpc.Method deleteRule() {
    JsonObject params = objectSchema(new JsonArray().add("id"), "id", slug("The rule's id."));
    JsonObject result = resultSchema(new JsonArray().add("deleted").add("config_version"),
        "deleted", ruleSchema().put("description", "The rule as it was."), "config_version", configVersion());
    return method(AdminApi.DELETE_FREQUENCY_RULE, "Delete a frequency rule", "Delete a frequency rule",
        "Deletes a rule (audited, with the rule as it was); -32006 when no rule has that id.",
        params, result, WRITE_ERRORS,
        example("Delete the daily cap", new JsonObject().put("id", "global_daily"),
            new JsonObject().put("deleted", exampleRule()).put("config_version", 10)), false, false);
  }

  private static OpenRpc.Method listChanges() {
    JsonObject params = objectSchema(new JsonArray(), "limit", new JsonObject().put("type", "integer").put("minimum", 1)
        .put("maximum", AdminRequests.MAX_CHANGES)
        .put("description", "How many changes, newest first (default " + AdminRequests.DEFAULT_CHANGES + ")."));
    JsonObject change = resultSchema(new JsonArray().add("id").add("changed_at").add("actor").add("entity").add("key")
            .add("action").add("before").add("after"),
        "id", new JsonObject().put("type", "integer").put("minimum", 1).put("description", "The change id; the config version it made."),
        "changed_at", new JsonObject().put("type", "string").put("format", "date-time"),
        "actor", new JsonObject().put("type", "string").put("description", "The name of the token that made the change."),
        "entity", new JsonObject().put("type", "string").put("enum", new JsonArray().add("loop").add("frequency_rule")),
        "key", new JsonObject().put("type", "string").put("description", "The loop's name or the rule's id."),
        "action", new JsonObject().put("type", "string")
            .put("enum", new JsonArray().add("create").add("update").add("activate").add("deactivate").add("delete")),
        "before", new JsonObject().put("type", new JsonArray().add("object").add("null")),
        "after", new JsonObject().put("type", new JsonArray().add("object").add("null")));
    JsonObject result = resultSchema(new JsonArray().add("changes").add("config_version"),
        "changes", new JsonObject().put("type", "array").put("items", change), "config_version", configVersion());
    JsonObject exampleChange = new JsonObject().put("id", 8).put("changed_at", "2026-11-29T17:42:10.512Z")
        .put("actor", "ops").put("entity", "loop").put("key", "buddy_challenge").put("action", "activate")
        .put("before", exampleLoop()).put("after", exampleLoop().put("active", true).put("version", 2));
    return method(AdminApi.LIST_CHANGES, "Audit trail", "The latest configuration changes",
        "The audit trail, newest first: who (the token's name), when, which loop or rule, and the entity before and"
            + " after (before is null for a create, after is null for a delete).",
        params, result, READ_ERRORS,
        example("The last change", new JsonObject().put("limit", 1),
            new JsonObject().put("changes", new JsonArray().add(exampleChange)).put("config_version", 8)), true, true);
  }

  private static OpenRpc.Method forgetLearner() {
    JsonObject id = new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", AdminRequests.MAX_ID_LENGTH)
        .put("pattern", "^[\\x21-\\x7E]+$");
    JsonObject params = objectSchema(new JsonArray().add("user_id").add("request_id"),
        "user_id", id.copy().put("description", "The learner to forget."),
        "request_id", id.copy().put("description", "The erasure request's id: a retry with the same id changes nothing"
            + " and answers the first call's result."),
        "reason", new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", AdminRequests.MAX_REASON_LENGTH)
            .put("description", "Why (e.g. \"parent request, ticket 4711\"); kept in the erasure's audit row."));
    JsonObject time = new JsonObject().put("type", "string").put("format", "date-time");
    JsonObject result = resultSchema(new JsonArray().add("request_id").add("tombstone").add("actor").add("reason")
            .add("requested_at").add("completed_at").add("rows").add("replayed"),
        "request_id", new JsonObject().put("type", "string"),
        "tombstone", new JsonObject().put("type", "string").put("description", "What now stands for the learner in every"
            + " kept row: erased: and a keyed hash of the user_id, which cannot be reversed without the deployment's secret."),
        "actor", new JsonObject().put("type", "string").put("description", "The name of the token that asked."),
        "reason", new JsonObject().put("type", new JsonArray().add("string").add("null")),
        "requested_at", time, "completed_at", time,
        "rows", new JsonObject().put("type", "object").put("additionalProperties", new JsonObject().put("type", "integer"))
            .put("description", "Rows changed (tombstoned or deleted) per table.column."),
        "replayed", bool("True when this answers an earlier call with the same request_id."));
    JsonObject rows = new JsonObject().put("report_chain.user_id", 3).put("loop_outcomes.user_id", 2)
        .put("loop_outcomes.referred_user_id", 0).put("viral_events.user_id", 4).put("agent_decisions.user_id", 4)
        .put("loop_exposures.user_id", 1).put("learner_variants.user_id", 0).put("learners.user_id", 1);
    return method(AdminApi.FORGET_LEARNER, "Forget a learner", "Erase a learner's personal data (COPPA, GDPR Art. 17)",
        "Replaces the learner's user_id with a tombstone in every row that names them, drops what is personal (event"
            + " context, input params beyond the event type, profile attributes, referred_user_id), deletes their"
            + " profile and kept state, and makes every node forget what it cached. Counts, reports and the audit"
            + " trail's shape stay. Idempotent by request_id; an erasure interrupted by a stop is finished at the next"
            + " start. -32004 when the request_id was used to forget another learner.",
        params, result, List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.IDEMPOTENCY_CONFLICT, ErrorCodes.OVERLOADED,
            ErrorCodes.INTERNAL_ERROR),
        example("A parent's request", new JsonObject().put("user_id", "learner-42").put("request_id", "erasure-4711")
                .put("reason", "parent request, ticket 4711"),
            new JsonObject().put("request_id", "erasure-4711").put("tombstone", "erased:5f0c...").put("actor", "ops")
                .put("reason", "parent request, ticket 4711").put("requested_at", "2026-12-07T16:40:00.120Z")
                .put("completed_at", "2026-12-07T16:40:00.310Z").put("rows", rows).put("replayed", false)),
        false, true);
  }

  // ---- schema pieces ----

  static JsonObject loopSchema() {
    JsonObject audience = new JsonObject().put("type", "object").put("additionalProperties", false)
        .put("properties", new JsonObject()
            .put("min_age", age()).put("max_age", age())
            .put("personas", new JsonObject().put("type", "array").put("uniqueItems", true)
                .put("items", new JsonObject().put("type", "string").put("enum", new JsonArray(LoopJson.PERSONAS.stream().sorted().toList()))))
            .put("requires_parental_consent", bool("Under-13 learners (or without birth_year) need consent granted.")));
    return new JsonObject().put("type", "object").put("additionalProperties", false)
        .put("required", new JsonArray().add("name").add("display_name").add("triggers").add("action"))
        .put("description", "A viral loop. Omitted optional fields take their defaults.")
        .put("properties", new JsonObject()
            .put("name", slug("Unique name: a lower-case slug."))
            .put("display_name", new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 100))
            .put("description", new JsonObject().put("type", "string").put("maxLength", 1000))
            .put("active", bool("Whether decisions may select it (default false)."))
            .put("triggers", new JsonObject().put("type", "array").put("uniqueItems", true)
                .put("items", new JsonObject().put("type", "string").put("enum", new JsonArray(EventTypes.ALL)))
                .put("description", "Event types that may fire it; empty means any."))
            .put("priority", new JsonObject().put("type", "integer").put("minimum", -1_000_000).put("maximum", 1_000_000))
            .put("expected_k", new JsonObject().put("type", "number").put("minimum", 0).put("maximum", 100))
            .put("groups", new JsonObject().put("type", "array").put("maxItems", 16).put("uniqueItems", true)
                .put("items", slug("A group name, e.g. social.")))
            .put("audience", audience)
            .put("targeting", new JsonObject().put("type", "object")
                .put("description", "A condition document: attribute paths (context.*, learner.*, event_type) with"
                    + " $eq $ne $in $nin $gt $gte $lt $lte $exists, and $and $or $not. Empty matches everyone."))
            .put("cooldown_seconds", seconds("Per learner, after this loop was selected for them."))
            .put("dismiss_cooldown_seconds", seconds("Per learner, after they dismissed it."))
            .put("action", new JsonObject().put("type", "object").put("required", new JsonArray().add("type"))
                .put("properties", new JsonObject().put("type", slug("What the product renders, e.g. show_share_modal.")))
                .put("description", "The payload the product renders (at most " + LoopJson.MAX_ACTION_BYTES + " bytes). Optional"
                    + " copy: per persona (student, parent, tutor, default) {headline, body, cta, share_copy} templates with"
                    + " placeholders {{learner.attributes.X}}, {{context.X}}, {{loop.display_name}}, rendered by the"
                    + " personalization agent."))
            .put("variants", new JsonObject().put("type", "array").put("maxItems", LoopJson.MAX_VARIANTS)
                .put("description", "Weighted alternatives to action. A learner is assigned one by sticky salted hash"
                    + " the first time the loop is selected for them, and keeps it when the weights change.")
                .put("items", new JsonObject().put("type", "object").put("additionalProperties", false)
                    .put("required", new JsonArray().add("key").add("weight").add("action"))
                    .put("properties", new JsonObject()
                        .put("key", slug("Unique within the loop, e.g. short_copy."))
                        .put("weight", new JsonObject().put("type", "number").put("exclusiveMinimum", 0)
                            .put("maximum", LoopJson.MAX_WEIGHT))
                        .put("action", new JsonObject().put("type", "object").put("required", new JsonArray().add("type"))))))
            .put("incentive", new JsonObject().put("type", "object").put("additionalProperties", false)
                .put("description", "Optional: the reward types (incentives agent, list_reward_types) a joined outcome"
                    + " through this loop grants the referrer (the decision's learner) and the joiner, once each.")
                .put("properties", new JsonObject().put("referrer", slug("A reward type, e.g. streak_shield."))
                    .put("joiner", slug("A reward type, e.g. ai_tutor_minutes."))))
            .put("guardrails", new JsonObject().put("type", "array").put("maxItems", Loop.Guardrail.METRICS.size())
                .put("description", "Metrics that pause the loop: when the always-valid 95% interval shows the loop's"
                    + " learners' rate above the holdout's by more than max_increase, the guardrail job deactivates the"
                    + " loop (audited with actor guardrail). See docs/measure-and-learn.md.")
                .put("items", new JsonObject().put("type", "object").put("additionalProperties", false)
                    .put("required", new JsonArray().add("metric").add("max_increase"))
                    .put("properties", new JsonObject()
                        .put("metric", new JsonObject().put("type", "string").put("enum", new JsonArray(Loop.Guardrail.METRICS)))
                        .put("max_increase", new JsonObject().put("type", "number").put("minimum", 0)
                            .put("maximum", LoopJson.MAX_GUARDRAIL_INCREASE)))))
            .put("version", new JsonObject().put("type", "integer").put("minimum", 1)
                .put("description", "Goes up by one on every change; read-only.")));
  }

  static JsonObject ruleSchema() {
    JsonObject period = new JsonObject().put("description", "calendar_day or calendar_week (ISO, Monday first) in the"
            + " learner's time zone, {rolling_seconds: N}, or lifetime.")
        .put("oneOf", new JsonArray()
            .add(new JsonObject().put("type", "string").put("enum", new JsonArray().add("calendar_day").add("calendar_week").add("lifetime")))
            .add(new JsonObject().put("type", "object").put("additionalProperties", false)
                .put("required", new JsonArray().add("rolling_seconds"))
                .put("properties", new JsonObject().put("rolling_seconds", new JsonObject().put("type", "integer").put("minimum", 1)))));
    return new JsonObject().put("type", "object").put("additionalProperties", false)
        .put("description", "At most max_count selections of loops in the scope per learner within the period.")
        .put("required", new JsonArray().add("id").add("scope").add("max_count").add("period"))
        .put("properties", new JsonObject()
            .put("id", slug("Unique id of the rule."))
            .put("scope", new JsonObject().put("type", "string").put("enum", new JsonArray().add("global").add("group").add("loop")))
            .put("scope_key", new JsonObject().put("type", new JsonArray().add("string").add("null"))
                .put("description", "null for global, a group name for group, a loop name for loop."))
            .put("max_count", new JsonObject().put("type", "integer").put("minimum", 1).put("maximum", RuleJson.MAX_COUNT))
            .put("period", period));
  }

  private static JsonObject exampleLoop() {
    return new JsonObject()
        .put("name", "buddy_challenge")
        .put("display_name", "Buddy challenge")
        .put("description", "After a strong practice set, the learner challenges a friend to beat their score on the same skill.")
        .put("active", false)
        .put("triggers", new JsonArray().add(EventTypes.PRACTICE_COMPLETED))
        .put("priority", 40)
        .put("expected_k", 0.35)
        .put("groups", new JsonArray().add("social"))
        .put("audience", new JsonObject().put("personas", new JsonArray().add("student")).put("requires_parental_consent", true))
        .put("targeting", new JsonObject().put("context.score", new JsonObject().put("$gte", 0.8)))
        .put("cooldown_seconds", 86400)
        .put("dismiss_cooldown_seconds", 259200)
        .put("action", new JsonObject().put("type", "show_share_modal").put("headline", "Challenge a buddy!")
            .put("body", "You just nailed this practice set. Think a friend can beat your score?")
            .put("cta", "Send a challenge").put("deep_link", "app://challenge/new?source=buddy_challenge")
            .put("channels", new JsonArray().add("sms").add("whatsapp").add("copy_link"))
            .put("reward_preview", "You both get a streak shield when they finish the challenge"))
        .put("version", 1);
  }

  private static JsonObject exampleRule() {
    return new JsonObject().put("id", "global_daily").put("scope", "global").putNull("scope_key").put("max_count", 3)
        .put("period", "calendar_day");
  }

  private static OpenRpc.Method method(String name, String title, String summary, String description, JsonObject params,
      JsonObject result, List<Integer> errors, OpenRpc.Example example, boolean readOnly, boolean idempotent) {
    return new OpenRpc.Method(name, name, title, summary, description, params, result, errors,
        List.of(example), readOnly, idempotent);
  }

  private static OpenRpc.Example example(String name, JsonObject params, JsonObject result) {
    return new OpenRpc.Example(name, name + ".", params, result);
  }

  private static JsonObject noParams() {
    return new JsonObject().put("type", "object").put("properties", new JsonObject()).put("additionalProperties", false);
  }

  private static JsonObject slug(String description) {
    return new JsonObject().put("type", "string").put("pattern", SLUG).put("description", description);
  }

  private static JsonObject bool(String description) {
    return new JsonObject().put("type", "boolean").put("description", description);
  }

  private static JsonObject age() {
    return new JsonObject().put("type", "integer").put("minimum", 0).put("maximum", 150);
  }

  private static JsonObject seconds(String description) {
    return new JsonObject().put("type", "integer").put("minimum", 0).put("description", description + " Default 0.");
  }

  private static JsonObject configVersion() {
    return OpenRpc.nonNegativeInteger().put("description", "The catalog's version: the id of the latest audited change.");
  }

  private static JsonObject expectedVersion(int minimum, String description) {
    return new JsonObject().put("type", "integer").put("minimum", minimum).put("description", description);
  }
}
