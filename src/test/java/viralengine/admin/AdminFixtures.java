package viralengine.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.support.TestService;

/** Shared steps of the admin tests: JSON-RPC calls on /mcp/admin, and putting the catalog back to its seeds. */
final class AdminFixtures {
  static final String SEEDS = "('buddy_challenge', 'results_rally', 'proud_parent', 'tutor_spotlight')";

  private AdminFixtures() {}

  /** A JSON-RPC call on {@code /mcp/admin/{method}}; returns the whole response object. */
  static JsonObject call(TestService svc, String method, JsonObject params) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method).put("params", params);
    return svc.post("/mcp/admin/" + method, request).bodyAsJsonObject();
  }

  /** The result of a call that must succeed. */
  static JsonObject ok(TestService svc, String method, JsonObject params) {
    JsonObject response = call(svc, method, params);
    if (!response.containsKey("result")) {
      throw new AssertionError(method + " failed: " + response.encode());
    }
    return response.getJsonObject("result");
  }

  /** The error of a call that must fail. */
  static JsonObject error(TestService svc, String method, JsonObject params) {
    JsonObject response = call(svc, method, params);
    if (!response.containsKey("error")) {
      throw new AssertionError(method + " should have failed: " + response.encode());
    }
    return response.getJsonObject("error");
  }

  /**
   * Empties the audit tables and puts loops and rules back to the migration's seeds (a copy of the seed rows is
   * kept in {@code admin_test_seed} the first time), so every test, and every later test class, starts alike.
   */
  static void restoreSeeds(TestService svc) {
    svc.query("CREATE TABLE IF NOT EXISTS admin_test_seed AS SELECT * FROM viral_loops WHERE name IN " + SEEDS);
    svc.query("TRUNCATE viral_events, agent_decisions, loop_exposures, loop_outcomes, learners, learner_variants, config_changes");
    svc.forgetLearners();
    svc.query("DELETE FROM viral_loops WHERE name NOT IN " + SEEDS);
    svc.query("UPDATE viral_loops v SET display_name = s.display_name, description = s.description, active = false,"
        + " triggers = s.triggers, priority = s.priority, cooldown_seconds = s.cooldown_seconds, expected_k = s.expected_k,"
        + " groups = s.groups, audience = s.audience, targeting = s.targeting,"
        + " dismiss_cooldown_seconds = s.dismiss_cooldown_seconds, action = s.action, variants = '[]', version = 1"
        + " FROM admin_test_seed s WHERE v.name = s.name");
    svc.query("DELETE FROM frequency_rules");
    svc.query("INSERT INTO frequency_rules (id, scope, scope_key, max_count, period) VALUES ('global_daily', 'global', NULL, 3, '\"calendar_day\"')");
  }

  /** A valid new loop. */
  static JsonObject streakShare() {
    return new JsonObject()
        .put("name", "streak_share")
        .put("display_name", "Streak share")
        .put("description", "A learner on a 7-day streak shares it.")
        .put("triggers", new JsonArray().add("practice_completed").add("session_ended"))
        .put("priority", 50)
        .put("expected_k", 0.2)
        .put("groups", new JsonArray().add("social"))
        .put("audience", new JsonObject().put("min_age", 10).put("personas", new JsonArray().add("student"))
            .put("requires_parental_consent", true))
        .put("targeting", new JsonObject().put("context.streak_days", new JsonObject().put("$gte", 7)))
        .put("cooldown_seconds", 86400)
        .put("dismiss_cooldown_seconds", 604800)
        .put("action", new JsonObject().put("type", "show_share_modal").put("headline", "7 days in a row!")
            .put("cta", "Share my streak").put("deep_link", "app://streak/share")
            .put("channels", new JsonArray().add("copy_link")));
  }
}
