package viralengine.peers;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.support.PeerRpc;
import viralengine.support.TestService;

/** Loops, learners, decisions and outcomes for the built-in agents' tests, all through the service's own APIs. */
public final class PeerFixtures {
  private PeerFixtures() {}

  /** A service with relaxed timing and the three built-in agents, {@code overrides} merged in deeply. */
  public static TestService start(JsonObject overrides) {
    return TestService.start(TestService.relaxedTiming().mergeIn(TestService.builtInAgents(), true)
        .mergeIn(overrides, true));
  }

  /** The tables these tests write emptied, then the service closed. */
  public static void stop(TestService svc) {
    reset(svc);
    svc.close();
  }

  /** A sharing loop (channels) for anyone, with per-persona copy and an incentive, active on practice_completed. */
  public static JsonObject sharingLoop(String name) {
    JsonObject copy = new JsonObject()
        .put("student", texts("{{learner.attributes.first_name}}, challenge a buddy!",
            "You scored {{context.score}} on {{context.skill}}.", "Challenge", "Beat my {{context.skill}} score on {{loop.display_name}}!"))
        .put("parent", texts("Your child is on a roll", "Share {{learner.attributes.child_name}}'s progress.", "Share",
            "Proud of {{learner.attributes.child_name}}!"))
        .put("default", texts("Invite a friend", "Learning is better together.", "Invite", "Join me on {{loop.display_name}}"));
    return new JsonObject().put("name", name).put("display_name", "Buddy <b>challenge</b>").put("active", true)
        .put("triggers", new JsonArray().add("practice_completed")).put("priority", 10)
        .put("action", new JsonObject().put("type", "show_share_modal").put("headline", "Stored headline")
            .put("body", "Stored body").put("cta", "Go").put("channels", new JsonArray().add("sms")).put("copy", copy))
        .put("incentive", new JsonObject().put("referrer", "class_pass").put("joiner", "xp"));
  }

  public static JsonObject texts(String headline, String body, String cta, String share) {
    return new JsonObject().put("headline", headline).put("body", body).put("cta", cta).put("share_copy", share);
  }

  /** Writes the loop through the admin agent and waits until decisions use it. */
  public static void upsert(TestService svc, JsonObject loop) {
    JsonObject params = new JsonObject().put("loop", loop);
    JsonObject done = result(svc.admin("upsert_loop", params));
    svc.awaitConfigVersion(done.getLong("config_version"));
  }

  /** An adult learner with consent, so no safety rule stands between them and a sharing loop. */
  public static void adult(TestService svc, String user, JsonObject attributes) {
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", user).put("birth_year", 1990).put("persona", "student")
        .put("parental_consent", "granted").put("attributes", attributes)));
  }

  /** A select_loop that selected a loop; its decision_id. */
  public static String selected(TestService svc, String user) {
    JsonObject decision = result(svc.rpc("select_loop", new JsonObject().put("user_id", user)
        .put("event_type", "practice_completed")));
    if (!"selected".equals(decision.getString("outcome"))) {
      throw new AssertionError("expected a selection: " + decision.encode());
    }
    return decision.getString("decision_id");
  }

  public static JsonObject outcome(TestService svc, String decisionId, String outcome, String referred, String requestId) {
    JsonObject params = new JsonObject().put("decision_id", decisionId).put("outcome", outcome);
    if (referred != null) {
      params.put("referred_user_id", referred);
    }
    if (requestId != null) {
      params.put("request_id", requestId);
    }
    return result(svc.rpc("record_outcome", params));
  }

  public static JsonArray balances(TestService svc, String user) {
    return PeerRpc.ok(svc, "incentives", "get_balance", new JsonObject().put("user_id", user)).getJsonArray("balances");
  }

  /** The ledger and safety tables emptied, the orchestrator's data reset. */
  public static void reset(TestService svc) {
    svc.resetData();
    svc.query("TRUNCATE reward_revocations, reward_grants, reward_daily, loop_blocks, abuse_reports, learner_blocks");
    svc.query("DELETE FROM viral_loops WHERE name LIKE 'peer\\_%'");
  }

  static JsonObject result(JsonObject response) {
    if (response.getJsonObject("result") == null) {
      throw new AssertionError(response.encode());
    }
    return response.getJsonObject("result");
  }
}
