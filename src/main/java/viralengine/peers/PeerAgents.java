package viralengine.peers;

import viralengine.rpc.OpenRpc;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.auth.Scope;
import viralengine.incentives.IncentivesApi;
import viralengine.loops.CopyTemplates;
import viralengine.personalization.PersonalizationApi;
import viralengine.rpc.ErrorCodes;
import viralengine.safety.SafetyApi;

import java.util.List;

import static viralengine.rpc.OpenRpc.objectSchema;
import static viralengine.rpc.OpenRpc.resultSchema;

/**
 * The three built-in peer agents (AGENTS.md): {@code trust_safety}, {@code personalization} and {@code incentives},
 * described with the same {@link OpenRpc.Method} model as the orchestrator and admin agents. Scopes: the methods a
 * decision calls, and the reads, need {@code decide}; grants, revocations and blocks need {@code admin}.
 */
public final class PeerAgents {
  private static final List<Integer> READ = List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.OVERLOADED, ErrorCodes.INTERNAL_ERROR);
  private static final List<Integer> WRITE = List.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.IDEMPOTENCY_CONFLICT,
      ErrorCodes.NOT_FOUND, ErrorCodes.FORBIDDEN, ErrorCodes.OVERLOADED, ErrorCodes.INTERNAL_ERROR);
  private static final String EXAMPLE_DECISION = "ea8d311b-e8ff-4ff8-89c6-9a1695477366";
  private static final String EXAMPLE_GRANT = "0192f4c1-7d8e-7a3b-9c1d-2e3f4a5b6c7d";

  public static final PeerAgent TRUST_SAFETY = trustSafety();
  public static final PeerAgent PERSONALIZATION = personalization();
  public static final PeerAgent INCENTIVES = incentives();
  public static final List<PeerAgent> ALL = List.of(TRUST_SAFETY, PERSONALIZATION, INCENTIVES);

  private PeerAgents() {}

  /** The built-in agent of that name, or null. */
  public static PeerAgent named(String name) {
    return ALL.stream().filter(a -> a.name().equals(name)).findFirst().orElse(null);
  }

  // ---- trust_safety ----

  private static PeerAgent trustSafety() {
    return new PeerAgent(SafetyApi.AGENT, "The trust & safety agent: may this viral action happen? It vets every"
        + " loop the orchestrator selects (check_action: allow, flag or block, with the rules that fired), records abuse"
        + " reports (which revoke the rewards granted through the reported decision and block that loop for that"
        + " learner) and keeps a list of blocked learners. JSON-RPC 2.0 over HTTP: POST /mcp/trust_safety (any method)"
        + " or POST /mcp/trust_safety/{method}; event bus: trust_safety.{method}.", List.of(
        new PeerAgent.Method(checkAction(), Scope.DECIDE),
        new PeerAgent.Method(reportAbuse(), Scope.DECIDE),
        new PeerAgent.Method(blockUser(), Scope.ADMIN),
        new PeerAgent.Method(unblockUser(), Scope.ADMIN),
        new PeerAgent.Method(listBlocks(), Scope.ADMIN)));
  }

  private static OpenRpc.Method checkAction() {
    JsonObject learner = new JsonObject().put("type", "object").put("additionalProperties", false)
        .put("description", "What the orchestrator knows of the learner.")
        .put("properties", new JsonObject()
            .put("age", new JsonObject().put("type", "integer").put("minimum", 0).put("maximum", 150))
            .put("persona", new JsonObject().put("type", "string").put("enum", new JsonArray().add("student").add("parent").add("tutor")))
            .put("parental_consent", new JsonObject().put("type", "string").put("enum", new JsonArray().add("granted").add("denied").add("unknown"))));
    JsonObject params = objectSchema(new JsonArray().add("user_id").add("action").add("loop"),
        "user_id", id("The learner's id."),
        "action", new JsonObject().put("type", "string").put("enum", new JsonArray().add("loop_selected"))
            .put("description", "What is about to happen: loop_selected."),
        "loop", slug("The loop about to be shown."),
        "learner", learner,
        "context", new JsonObject().put("type", "object").put("description", "Optional facts about the event."));
    JsonObject result = resultSchema(new JsonArray().add("verdict").add("reasons").add("risk_score"),
        "verdict", new JsonObject().put("type", "string").put("enum", new JsonArray().add(SafetyApi.ALLOW).add(SafetyApi.FLAG).add(SafetyApi.BLOCK)),
        "reasons", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string").put("enum",
            new JsonArray().add(SafetyApi.BLOCKED_USER).add(SafetyApi.CHILD_SHARING).add(SafetyApi.INVITE_RATE)
                .add(SafetyApi.REFERRAL_RING).add(SafetyApi.REPORTED)))
            .put("description", "Every rule that fired, in the order the rules apply."),
        "risk_score", new JsonObject().put("type", "number").put("minimum", 0).put("maximum", 1));
    return method(SafetyApi.CHECK_ACTION, "Vet a viral action", "May this loop be shown to this learner?",
        "Applies the rules in order: blocked_user (the learner is blocked, or this loop is blocked for them after an abuse"
            + " report), child_sharing (a sharing loop for a learner under 13 or of unknown age without granted parental"
            + " consent), invite_rate (more than trust_safety.max_invites_per_day invite_sent outcomes in 24 hours, or"
            + " more than trust_safety.max_selections_per_hour selections in the last hour), referral_ring (the learner"
            + " joined through someone they referred), reported (an abuse report in the last 30 days adds 0.5 to"
            + " risk_score). A rule that blocks blocks; risk_score >= 0.6 blocks and >= 0.4 flags. Changes nothing.",
        params, result, READ,
        new JsonObject().put("user_id", "learner-42").put("action", "loop_selected").put("loop", "buddy_challenge")
            .put("learner", new JsonObject().put("age", 10).put("persona", "student").put("parental_consent", "unknown")),
        new JsonObject().put("verdict", SafetyApi.BLOCK).put("reasons", new JsonArray().add(SafetyApi.CHILD_SHARING))
            .put("risk_score", 1.0), true, true);
  }

  private static OpenRpc.Method reportAbuse() {
    JsonObject params = objectSchema(new JsonArray().add("decision_id").add("reason"),
        "decision_id", uuid("The decision whose loop was abused."),
        "reason", text("What happened (1 to 500 characters)."),
        "request_id", id("Optional idempotency key: a retry answers the first report and records nothing new."));
    JsonObject result = resultSchema(new JsonArray().add("report_id").add("decision_id").add("user_id").add("loop")
            .add("revoked_grants").add("loop_blocked_until"),
        "report_id", uuid("The report's id."), "decision_id", uuid("As sent."),
        "user_id", id("The decision's learner: the one reported."),
        "loop", slug("The decision's loop, now blocked for that learner."),
        "revoked_grants", new JsonObject().put("type", "array").put("items", uuid("A revoked grant."))
            .put("description", "The rewards granted through that decision, revoked by this report."),
        "loop_blocked_until", dateTime("Until when that loop is not shown to that learner (trust_safety.report_block_days)."));
    return method(SafetyApi.REPORT_ABUSE, "Report abuse of a decision", "Report, revoke the decision's rewards, block the loop",
        "Records an abuse report against the decision's learner, revokes every reward granted through that decision"
            + " (revocations are rows of their own) and blocks that loop for that learner for"
            + " trust_safety.report_block_days. Idempotent by request_id. -32006 when there is no such decision, -32602"
            + " when the decision showed no loop.",
        params, result, WRITE,
        new JsonObject().put("decision_id", EXAMPLE_DECISION).put("reason", "spam invites").put("request_id", "report-1"),
        new JsonObject().put("report_id", EXAMPLE_GRANT).put("decision_id", EXAMPLE_DECISION).put("user_id", "learner-42")
            .put("loop", "buddy_challenge").put("revoked_grants", new JsonArray()).put("loop_blocked_until", "2027-01-06T10:00:00Z"),
        false, true);
  }

  private static OpenRpc.Method blockUser() {
    JsonObject params = objectSchema(new JsonArray().add("user_id").add("reason"),
        "user_id", id("The learner to block."), "reason", text("Why (1 to 500 characters)."),
        "until", dateTime("Optional: when the block ends; absent means for good."));
    JsonObject result = resultSchema(new JsonArray().add("user_id").add("blocked"), "user_id", id("As sent."),
        "blocked", bool("True."), "until", dateTime("As sent, or null for good."));
    return method(SafetyApi.BLOCK_USER, "Block a learner", "No viral action for this learner",
        "Blocks the learner: check_action answers block (blocked_user) until the block ends. Blocking again replaces"
            + " the reason and end.", params, result, WRITE,
        new JsonObject().put("user_id", "learner-42").put("reason", "spam"),
        new JsonObject().put("user_id", "learner-42").put("blocked", true).putNull("until"), false, true);
  }

  private static OpenRpc.Method unblockUser() {
    JsonObject params = objectSchema(new JsonArray().add("user_id"), "user_id", id("The learner to unblock."));
    JsonObject result = resultSchema(new JsonArray().add("user_id").add("unblocked"), "user_id", id("As sent."),
        "unblocked", bool("False when the learner was not blocked."));
    return method(SafetyApi.UNBLOCK_USER, "Unblock a learner", "Lift a learner's block", "Lifts the learner's block: check_action no longer answers blocked_user for them. unblocked is false when"
            + " they were not blocked.",
        params, result, WRITE, new JsonObject().put("user_id", "learner-42"),
        new JsonObject().put("user_id", "learner-42").put("unblocked", true), false, true);
  }

  private static OpenRpc.Method listBlocks() {
    JsonObject params = objectSchema(new JsonArray(), "limit", new JsonObject().put("type", "integer").put("minimum", 1)
        .put("maximum", 1000).put("description", "At most this many blocks, newest first (default 100)."));
    JsonObject block = new JsonObject().put("type", "object").put("properties", new JsonObject()
        .put("user_id", id("The learner.")).put("reason", text("Why.")).put("until", dateTime("Until when, or null."))
        .put("blocked_at", dateTime("When.")));
    JsonObject result = resultSchema(new JsonArray().add("blocks"), "blocks",
        new JsonObject().put("type", "array").put("items", block).put("description", "Blocks in force, newest first."));
    return method(SafetyApi.LIST_BLOCKS, "List blocked learners", "The blocks in force",
        "Lists the learners blocked now (blocks whose until has passed are left out), newest first, with the reason"
            + " and end of each.", params, result, READ, new JsonObject(),
        new JsonObject().put("blocks", new JsonArray()), true, true);
  }

  // ---- personalization ----

  private static PeerAgent personalization() {
    return new PeerAgent(PersonalizationApi.AGENT, "The personalization agent: what does a loop say to this learner?"
        + " It renders the loop action's per-persona copy (Mustache templates with {{learner.attributes.X}},"
        + " {{context.X}} and {{loop.display_name}}; values inserted as escaped plain text). JSON-RPC 2.0 over HTTP:"
        + " POST /mcp/personalization or POST /mcp/personalization/personalize; event bus: personalization.personalize.",
        List.of(new PeerAgent.Method(personalize(), Scope.DECIDE)));
  }

  private static OpenRpc.Method personalize() {
    JsonObject params = objectSchema(new JsonArray().add("user_id").add("loop").add("action"),
        "user_id", id("The learner's id; their profile's attributes and persona fill the templates."),
        "loop", slug("The loop being shown."),
        "persona", new JsonObject().put("type", "string").put("enum", new JsonArray().add("student").add("parent").add("tutor"))
            .put("description", "Optional: the persona whose copy to use (default: the learner's profile, else default)."),
        "locale", new JsonObject().put("type", "string").put("maxLength", 35)
            .put("description", "Optional BCP 47 tag; the built-in agent has one language and ignores it."),
        "variant", slug("Optional: the loop variant being shown."),
        "context", new JsonObject().put("type", "object").put("description", "Optional: the event's context, for {{context.X}}."),
        "action", new JsonObject().put("type", "object").put("description", "The loop's (or variant's) action, with its copy."));
    JsonObject result = resultSchema(new JsonArray().add("headline").add("body").add("cta").add("share_copy"),
        "headline", bounded("headline"), "body", bounded("body"), "cta", bounded("cta"), "share_copy", bounded("share_copy"));
    return method(PersonalizationApi.PERSONALIZE, "Personalize a loop's copy", "The copy for this learner",
        "Renders the action's copy for the persona (the persona's templates, else default); without copy, the action's"
            + " own headline, body, cta and share_copy. A placeholder with no value renders empty. Changes nothing.",
        params, result, READ,
        new JsonObject().put("user_id", "learner-42").put("loop", "buddy_challenge").put("action", new JsonObject()
            .put("type", "show_share_modal").put("copy", new JsonObject().put("default", new JsonObject()
                .put("headline", "Nice work, {{learner.attributes.first_name}}!").put("body", "Challenge a friend on {{context.skill}}.")
                .put("cta", "Challenge").put("share_copy", "Beat me at {{context.skill}}!")))),
        new JsonObject().put("headline", "Nice work, Ada!").put("body", "Challenge a friend on fractions.")
            .put("cta", "Challenge").put("share_copy", "Beat me at fractions!"), true, true);
  }

  private static JsonObject bounded(String field) {
    return new JsonObject().put("type", "string").put("maxLength", CopyTemplates.FIELDS.get(field));
  }

  // ---- incentives ----

  private static PeerAgent incentives() {
    return new PeerAgent(IncentivesApi.AGENT, "The incentives agent: what does a viral action give? A reward ledger in"
        + " PostgreSQL: reward types with an amount per grant, a daily cap per learner (calendar days in the learner's"
        + " time zone) and an expiry; idempotent grants; revocations as rows of their own. A joined outcome through a"
        + " loop with an incentive grants both sides. JSON-RPC 2.0 over HTTP: POST /mcp/incentives (any method) or"
        + " POST /mcp/incentives/{method}; event bus: incentives.{method}.", List.of(
        new PeerAgent.Method(offerReward(), Scope.DECIDE),
        new PeerAgent.Method(grantReward(), Scope.ADMIN),
        new PeerAgent.Method(getBalance(), Scope.DECIDE),
        new PeerAgent.Method(revokeReward(), Scope.ADMIN),
        new PeerAgent.Method(listRewardTypes(), Scope.DECIDE)));
  }

  private static JsonObject reward() {
    return new JsonObject().put("type", new JsonArray().add("object").add("null"))
        .put("properties", new JsonObject().put("type", slug("The reward type.")).put("amount", positive("How much."))
            .put("expires_in_days", new JsonObject().put("type", new JsonArray().add("integer").add("null"))
                .put("description", "Days until it expires; null for never.")));
  }

  private static OpenRpc.Method offerReward() {
    JsonObject params = objectSchema(new JsonArray().add("user_id").add("loop").add("role"),
        "user_id", id("The learner."), "loop", slug("The loop whose incentive to offer."),
        "role", new JsonObject().put("type", "string").put("enum", new JsonArray(IncentivesApi.ROLES))
            .put("description", "Whose reward: the referrer's (the learner who shares) or the joiner's."));
    JsonObject result = resultSchema(new JsonArray().add("reward"), "reward", reward()
        .put("description", "What a join through this loop would grant this learner now, or null (no incentive for the"
            + " role, or the daily cap leaves no room)."));
    return method(IncentivesApi.OFFER_REWARD, "Offer a reward", "What a join would grant now",
        "Read-only: the loop's incentive for the role, if the learner's daily cap of that type leaves room for one grant.",
        params, result, READ,
        new JsonObject().put("user_id", "learner-42").put("loop", "buddy_challenge").put("role", "referrer"),
        new JsonObject().put("reward", new JsonObject().put("type", "streak_shield").put("amount", 1).put("expires_in_days", 7)),
        true, true);
  }

  private static OpenRpc.Method grantReward() {
    JsonObject params = objectSchema(new JsonArray().add("user_id").add("reward_type").add("request_id"),
        "user_id", id("The learner."), "reward_type", slug("The reward type (list_reward_types)."),
        "amount", positive("Optional: how much (default: the type's amount per grant)."),
        "source", new JsonObject().put("type", new JsonArray().add("string").add("object"))
            .put("description", "Optional: where the grant comes from (a note, or a small object)."),
        "request_id", id("The idempotency key: a retry answers the first grant and grants nothing new."));
    JsonObject result = resultSchema(new JsonArray().add("granted"),
        "grant_id", uuid("The grant (when granted)."), "granted", bool("False when the daily cap would be passed."),
        "balance", new JsonObject().put("type", "integer").put("description", "The learner's unexpired, unrevoked total of this type."),
        "reason", new JsonObject().put("type", "string").put("enum", new JsonArray().add(IncentivesApi.CAP_REACHED)));
    return method(IncentivesApi.GRANT_REWARD, "Grant a reward", "Grant, within the daily cap, once per request_id",
        "Grants the reward unless the learner's daily cap of that type (calendar day in their time zone) would be"
            + " passed: {granted: false, reason: cap_reached}. Idempotent by request_id; -32004 when it is reused with"
            + " other params.", params, result, WRITE,
        new JsonObject().put("user_id", "learner-42").put("reward_type", "xp").put("request_id", "grant-1"),
        new JsonObject().put("grant_id", EXAMPLE_GRANT).put("granted", true).put("balance", 50), false, true);
  }

  private static OpenRpc.Method getBalance() {
    JsonObject params = objectSchema(new JsonArray().add("user_id"), "user_id", id("The learner."));
    JsonObject item = new JsonObject().put("type", "object").put("properties", new JsonObject()
        .put("type", slug("The reward type.")).put("amount", positive("Unexpired, unrevoked total."))
        .put("next_expires_at", dateTime("When the first of these expires, or null for never.")));
    JsonObject result = resultSchema(new JsonArray().add("user_id").add("balances"), "user_id", id("As sent."),
        "balances", new JsonObject().put("type", "array").put("items", item));
    return method(IncentivesApi.GET_BALANCE, "Read a learner's rewards", "Totals per reward type",
        "The learner's rewards: unexpired, unrevoked totals per reward type, with the time the first of them"
            + " expires (null for never).", params, result, READ,
        new JsonObject().put("user_id", "learner-42"), new JsonObject().put("user_id", "learner-42").put("balances",
            new JsonArray().add(new JsonObject().put("type", "xp").put("amount", 100).putNull("next_expires_at"))), true, true);
  }

  private static OpenRpc.Method revokeReward() {
    JsonObject params = objectSchema(new JsonArray().add("grant_id").add("reason"), "grant_id", uuid("The grant."),
        "reason", text("Why (1 to 500 characters)."));
    JsonObject result = resultSchema(new JsonArray().add("grant_id").add("revoked").add("revoked_at").add("already_revoked"),
        "grant_id", uuid("As sent."), "revoked", bool("True."), "revoked_at", dateTime("When it was (first) revoked."),
        "already_revoked", bool("True when it had been revoked before: nothing new was recorded."));
    return method(IncentivesApi.REVOKE_REWARD, "Revoke a reward", "Revoke one grant",
        "Records a revocation (a row of its own; the grant is never edited). -32006 when there is no such grant.",
        params, result, WRITE, new JsonObject().put("grant_id", EXAMPLE_GRANT).put("reason", "fraud"),
        new JsonObject().put("grant_id", EXAMPLE_GRANT).put("revoked", true).put("revoked_at", "2026-12-07T10:00:00Z")
            .put("already_revoked", false), false, true);
  }

  private static OpenRpc.Method listRewardTypes() {
    JsonObject item = new JsonObject().put("type", "object").put("properties", new JsonObject()
        .put("type", slug("The name.")).put("amount", positive("Per grant.")).put("daily_cap", positive("Per learner and day."))
        .put("expires_in_days", new JsonObject().put("type", new JsonArray().add("integer").add("null"))));
    JsonObject result = resultSchema(new JsonArray().add("reward_types"), "reward_types",
        new JsonObject().put("type", "array").put("items", item));
    return method(IncentivesApi.LIST_REWARD_TYPES, "List reward types", "The reward types and their caps",
        "Every reward type with its amount per grant, its daily cap per learner (calendar day in the learner's time"
            + " zone) and how many days a grant lasts (null for never).",
        new JsonObject().put("type", "object").put("properties", new JsonObject()).put("additionalProperties", false),
        result, READ, new JsonObject(), new JsonObject().put("reward_types", new JsonArray().add(new JsonObject()
            .put("type", "xp").put("amount", 50).put("daily_cap", 500).putNull("expires_in_days"))), true, true);
  }

  // ---- schema pieces ----

  private static OpenRpc.Method method(String name, String title, String summary, String description, JsonObject params,
      JsonObject result, List<Integer> errors, JsonObject exampleParams, JsonObject exampleResult, boolean readOnly,
      boolean idempotent) {
    return new OpenRpc.Method(name, name, title, summary, description, params, result, errors,
        List.of(new OpenRpc.Example(title, title + ".", exampleParams, exampleResult)), readOnly, idempotent);
  }

  private static JsonObject id(String description) {
    return new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 128).put("pattern", "^[!-~]+$")
        .put("description", description);
  }

  private static JsonObject slug(String description) {
    return new JsonObject().put("type", "string").put("pattern", "^[a-z][a-z0-9_]{0,63}$").put("description", description);
  }

  private static JsonObject uuid(String description) {
    return new JsonObject().put("type", "string").put("format", "uuid").put("description", description);
  }

  private static JsonObject text(String description) {
    return new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 500).put("description", description);
  }

  private static JsonObject dateTime(String description) {
    return new JsonObject().put("type", new JsonArray().add("string").add("null")).put("format", "date-time")
        .put("description", description);
  }

  private static JsonObject bool(String description) {
    return new JsonObject().put("type", "boolean").put("description", description);
  }

  private static JsonObject positive(String description) {
    return new JsonObject().put("type", "integer").put("minimum", 1).put("description", description);
  }
}
