package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import viralengine.peers.PeerFixtures;
import viralengine.support.TestService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decision with the real built-in agents (no fakes), over HTTP and PostgreSQL: a sharing loop blocked for a child
 * by child_sharing falls through to the next loop; an adult gets the sharing loop with its copy rendered for their
 * persona (markup escaped, the templates themselves not in the answer) and the reward a join would earn.
 */
class DecisionWithBuiltInAgentsTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    // Budgets far beyond the agents' answers: this test is about what the agents decide, not about their timing
    // (a late trust_safety would block the child by its on_failure policy, whatever the rules say).
    JsonObject generous = new JsonObject().put("timeout_ms", 1_000);
    svc = PeerFixtures.start(new JsonObject().put("agents", new JsonObject().put("trust_safety", generous.copy())
        .put("personalization", generous.copy()).put("incentives", generous.copy())));
    PeerFixtures.reset(svc);
    PeerFixtures.upsert(svc, PeerFixtures.sharingLoop("peer_share").put("priority", 20));
    // A quiet loop: no channels, no social group, so child_sharing does not apply to it.
    PeerFixtures.upsert(svc, new JsonObject().put("name", "peer_quiet_tip").put("display_name", "Quiet tip")
        .put("active", true).put("triggers", new JsonArray().add("practice_completed")).put("priority", 10)
        .put("action", new JsonObject().put("type", "show_tip").put("headline", "Keep going")));
  }

  @AfterAll
  static void stop() {
    PeerFixtures.stop(svc);
  }

  static JsonObject select(String user, JsonObject context) {
    return svc.rpc("select_loop", new JsonObject().put("user_id", user).put("event_type", "practice_completed")
        .put("context", context)).getJsonObject("result");
  }

  @Test
  void aChildBlockedByChildSharingGetsTheNextLoop() {
    svc.rpc("upsert_learner", new JsonObject().put("user_id", "child-7").put("birth_year", 2018)
        .put("persona", "student").put("parental_consent", "unknown"));

    JsonObject answer = select("child-7", new JsonObject());

    assertEquals("peer_quiet_tip", answer.getString("loop"), answer.encode());
    JsonObject explained = svc.rpc("explain_decision", new JsonObject().put("decision_id", answer.getString("decision_id")))
        .getJsonObject("result");
    JsonObject blocked = explained.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(check -> "peer_share".equals(check.getString("loop"))).findFirst().orElseThrow();
    assertEquals("blocked_by_trust_safety", blocked.getString("reason"), explained.encode());
    assertTrue(blocked.getString("detail").contains("child_sharing"), blocked.encode());
    JsonArray vetted = explained.getJsonArray("agents");
    assertEquals(2, vetted.stream().map(JsonObject.class::cast).filter(c -> "check_action".equals(c.getString("method")))
        .count(), "both loops vetted: " + vetted.encode());
  }

  @Test
  void anAdultGetsTheSharingLoopWithRenderedCopyAndTheRewardOnOffer() {
    PeerFixtures.adult(svc, "adult-ada", new JsonObject().put("first_name", "<b>Ada</b>"));

    JsonObject answer = select("adult-ada", new JsonObject().put("skill", "fractions").put("score", 92));

    assertEquals("peer_share", answer.getString("loop"), answer.encode());
    JsonObject action = answer.getJsonObject("action");
    assertEquals("&lt;b&gt;Ada&lt;/b&gt;, challenge a buddy!", action.getString("headline"));
    assertEquals("You scored 92 on fractions.", action.getString("body"));
    assertFalse(action.containsKey("copy"), "the templates are configuration, not the answer: " + action.encode());
    assertEquals("class_pass", action.getJsonObject("reward").getString("type"));
    assertNull(answer.getValue("flagged"));
  }
}
