package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.awaitActiveLoops;
import static viralengine.orchestrator.DecisionsHttpTest.result;

/**
 * The decision with agents through the real service (HTTP, PostgreSQL), with stand-ins registered at the built-in
 * agents' event-bus addresses: vetting, a block falling through, flags, the copy and reward merged into the action,
 * the audit of every call, and the trust_safety fallback. Timing is relaxed: this is about what is decided.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentsHttpTest {
  static TestService svc;
  FakeBuiltInAgents agents;

  @BeforeAll
  static void start() {
    JsonObject generous = new JsonObject().put("timeout_ms", 1_000);
    svc = TestService.start(TestService.relaxedTiming().put("agents", new JsonObject()
        .put("trust_safety", generous.copy()).put("personalization", generous.copy()).put("incentives", generous.copy())));
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
    agents = new FakeBuiltInAgents(svc.vertx);
  }

  @AfterEach
  void unregister() {
    agents.close();
  }

  /** These loops active for every event, without consent or audience rules, in priority order as seeded. */
  static void activate(TestService service, String... loops) {
    service.query("UPDATE viral_loops SET active = true, cooldown_seconds = 0, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}' WHERE name = ANY($1)", (Object) loops);
    awaitActiveLoops(service, loops.length);
  }

  static JsonObject select(TestService service, String user, boolean dryRun) {
    JsonObject params = new JsonObject().put("user_id", user).put("event_type", "practice_completed");
    return result(service.rpc("select_loop", dryRun ? params.put("dry_run", true) : params));
  }

  static JsonObject explain(TestService service, JsonObject answer) {
    return result(service.rpc("explain_decision", new JsonObject().put("decision_id", answer.getString("decision_id"))));
  }

  static JsonObject check(JsonObject explained, String loop) {
    return explained.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> loop.equals(c.getString("loop"))).findFirst().orElseThrow();
  }

  static List<String> calls(JsonArray agents) {
    return agents.stream().map(JsonObject.class::cast)
        .map(a -> a.getString("agent") + "." + a.getString("method") + ":" + a.getString("outcome")).toList();
  }

  @Test
  void anAllowedLoopIsShownWithThePersonalizedCopyAndTheRewardOfferedAndEveryCallIsAudited() {
    activate(svc, "buddy_challenge");
    JsonObject answer = select(svc, "allowed-1", false);

    assertEquals("buddy_challenge", answer.getString("loop"));
    JsonObject action = answer.getJsonObject("action");
    assertEquals("Hello default", action.getString("headline"), "personalization's copy replaces the stored one");
    assertEquals("Come learn with me", action.getString("share_copy"));
    assertEquals("app://challenge/new?source=buddy_challenge", action.getString("deep_link"), "the rest is the loop's");
    assertEquals(new JsonObject().put("type", "streak_shield").put("amount", 1).put("expires_in_days", 7),
        action.getJsonObject("reward"));
    assertFalse(answer.containsKey("flagged"));

    JsonObject asked = agents.checked.get(0);
    assertEquals("loop_selected", asked.getString("action"));
    assertEquals("buddy_challenge", asked.getString("loop"));
    assertEquals("unknown", asked.getJsonObject("learner").getString("parental_consent"));
    assertEquals("referrer", agents.offered.get(0).getString("role"));
    assertEquals("buddy_challenge", agents.personalized.get(0).getString("loop"));

    JsonObject explained = explain(svc, answer);
    JsonArray audit = explained.getJsonArray("agents");
    assertEquals(List.of("trust_safety.check_action:ok", "personalization.personalize:ok", "incentives.offer_reward:ok"),
        calls(audit));
    assertEquals("allow", audit.getJsonObject(0).getString("verdict"));
    audit.stream().map(JsonObject.class::cast).forEach(call -> {
      assertFalse(call.getBoolean("fallback"), call.encode());
      assertTrue(call.getDouble("latency_ms") >= 0, call.encode());
    });
    assertEquals(audit, explained.getJsonObject("features_used").getJsonArray("agents"));
    String metrics = svc.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("viral_agent_calls_total{agent=\"trust_safety\",outcome=\"ok\"}"), "the calls are counted");
    assertTrue(metrics.contains("viral_agent_latency_seconds_count{agent=\"personalization\"}"), "and timed");
  }

  @Test
  void aBlockFallsThroughToTheNextLoopWithTheAgentsReasonsInTheCheck() {
    activate(svc, "buddy_challenge", "results_rally");
    agents.verdict("buddy_challenge", FakeBuiltInAgents.verdict("block", 0.9, "child_sharing", "invite_rate"));

    JsonObject answer = select(svc, "blocked-1", false);

    assertEquals("selected", answer.getString("outcome"));
    assertEquals("results_rally", answer.getString("loop"), "the next loop in the strategy's order");
    assertEquals(new JsonArray().add("results_rally"), answer.getJsonArray("eligible_loops"));
    assertTrue(answer.getString("rationale").contains("trust_safety blocked buddy_challenge"), answer.getString("rationale"));
    JsonObject explained = explain(svc, answer);
    JsonObject blocked = check(explained, "buddy_challenge");
    assertEquals("blocked_by_trust_safety", blocked.getString("reason"));
    assertTrue(blocked.getString("detail").contains("child_sharing, invite_rate"), blocked.getString("detail"));
    assertEquals("eligible", check(explained, "results_rally").getString("reason"));
    JsonArray audit = explained.getJsonArray("agents");
    assertEquals(List.of("trust_safety.check_action:ok", "trust_safety.check_action:ok", "personalization.personalize:ok",
        "incentives.offer_reward:ok"), calls(audit));
    assertEquals("block", audit.getJsonObject(0).getString("verdict"));
    assertEquals("allow", audit.getJsonObject(1).getString("verdict"));
    assertEquals("results_rally", agents.personalized.get(0).getString("loop"), "the copy is for the loop shown");
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures e JOIN viral_loops l ON l.id = e.loop_id"
        + " WHERE e.user_id = $1 AND l.name = 'results_rally'", "blocked-1"), "the loop shown counts, the blocked one not");
  }

  @Test
  void noMoreThanMaxCandidatesAreVettedAndThenNoLoopIsShown() {
    activate(svc, "buddy_challenge", "results_rally", "proud_parent");
    agents.verdict("buddy_challenge", FakeBuiltInAgents.verdict("block", 1, "blocked_user"));
    agents.verdict("results_rally", FakeBuiltInAgents.verdict("block", 1, "blocked_user"));

    JsonObject answer = select(svc, "blocked-2", false);

    assertEquals("no_eligible_loop", answer.getString("outcome"));
    assertNull(answer.getValue("loop"));
    assertNull(answer.getValue("action"));
    assertTrue(answer.getString("rationale").contains("max_candidates"), answer.getString("rationale"));
    assertEquals(2, agents.checked.size(), "agents.trust_safety.max_candidates is 2");
    assertTrue(agents.personalized.isEmpty() && agents.offered.isEmpty(), "nothing shown, nothing to dress");
    assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = $1", "blocked-2"));
  }

  @Test
  void aFlagShowsTheLoopAndMarksTheDecisionFlagged() {
    activate(svc, "buddy_challenge");
    agents.verdict("buddy_challenge", FakeBuiltInAgents.verdict("flag", 0.45, "reported"));

    JsonObject answer = select(svc, "flagged-1", false);

    assertEquals("buddy_challenge", answer.getString("loop"));
    assertTrue(answer.getBoolean("flagged"));
    JsonObject explained = explain(svc, answer);
    assertTrue(explained.getJsonObject("features_used").getBoolean("flagged"));
    assertEquals("flag", explained.getJsonArray("agents").getJsonObject(0).getString("verdict"));
  }

  @Test
  void aMalformedVerdictIsInvalidAndBlockMinorsBlocksALearnerOfUnknownAgeNotAnAdult() {
    activate(svc, "buddy_challenge");
    agents.defaultVerdict = new JsonObject().put("verdict", "maybe").put("reasons", new JsonArray()).put("risk_score", 0);

    JsonObject unknownAge = select(svc, "unknown-age-1", false);
    assertEquals("no_eligible_loop", unknownAge.getString("outcome"));
    JsonObject explained = explain(svc, unknownAge);
    JsonObject call = explained.getJsonArray("agents").getJsonObject(0);
    assertEquals("invalid", call.getString("outcome"));
    assertTrue(call.getBoolean("fallback"));
    assertEquals("block", call.getString("verdict"));
    assertTrue(check(explained, "buddy_challenge").getString("detail").contains("block_minors"));

    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", "adult-1").put("birth_year", 1990)));
    JsonObject adult = select(svc, "adult-1", false);
    assertEquals("buddy_challenge", adult.getString("loop"));
    JsonObject adultCall = explain(svc, adult).getJsonArray("agents").getJsonObject(0);
    assertEquals("invalid", adultCall.getString("outcome"));
    assertEquals("allow", adultCall.getString("verdict"));
  }

  @Test
  void noAgentIsCalledWhenNothingIsEligible() {
    JsonObject answer = select(svc, "nothing-1", false);

    assertEquals("no_eligible_loop", answer.getString("outcome"));
    assertTrue(agents.checked.isEmpty() && agents.personalized.isEmpty() && agents.offered.isEmpty());
    JsonObject explained = explain(svc, answer);
    assertEquals(new JsonArray(), explained.getJsonArray("agents"));
    assertFalse(explained.getJsonObject("features_used").containsKey("agents"));
  }

  @Test
  void aDryRunCallsTheThreeAgentsAndTriggerEventToo() {
    activate(svc, "buddy_challenge");
    JsonObject dry = select(svc, "dry-1", true);
    assertTrue(dry.getBoolean("dry_run"));
    assertEquals("Hello default", dry.getJsonObject("action").getString("headline"));
    assertEquals(3, explain(svc, dry).getJsonArray("agents").size());

    JsonObject triggered = result(svc.rpc("trigger_event", new JsonObject().put("user_id", "trigger-1")
        .put("event_type", "practice_completed")));
    assertEquals("buddy_challenge", triggered.getString("loop"));
    assertEquals("streak_shield", triggered.getJsonObject("action").getJsonObject("reward").getString("type"));
    assertEquals(3, explain(svc, triggered).getJsonArray("agents").size());
  }

  /**
   * The agent step runs inside the learner's turn and before the durable write: twenty concurrent calls for one
   * learner, each sent twice with its request_id, give one decision per request_id (retries get the first answer,
   * the agents asked once per decision) and never more selections than the daily cap of 3.
   */
  @Test
  void concurrentCallsForOneLearnerKeepTheirTurnsTheCapAndOneDecisionPerRequestId() {
    activate(svc, "buddy_challenge", "results_rally");
    String user = "hot-agents-1";
    List<io.vertx.core.Future<io.vertx.core.buffer.Buffer>> sent = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      JsonObject params = new JsonObject().put("user_id", user).put("request_id", "hot-agents-req-" + i % 20);
      JsonObject call = new JsonObject().put("jsonrpc", "2.0").put("id", i).put("method", "select_loop").put("params", params);
      sent.add(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator/select_loop")
          .putHeader("content-type", "application/json").sendBuffer(io.vertx.core.buffer.Buffer.buffer(call.encode()))
          .map(response -> response.body()));
    }
    java.util.Map<String, String> decisionByRequest = new java.util.HashMap<>();
    for (int i = 0; i < sent.size(); i++) {
      JsonObject answer = result(new JsonObject(TestService.await(sent.get(i))));
      String first = decisionByRequest.putIfAbsent("hot-agents-req-" + i % 20, answer.getString("decision_id"));
      if (first != null) {
        assertEquals(first, answer.getString("decision_id"), "a retry gets the first answer");
      }
    }
    assertEquals(20, svc.count("SELECT count(*) FROM agent_decisions WHERE user_id = $1", user));
    long selected = svc.count("SELECT count(*) FROM agent_decisions WHERE user_id = $1 AND outcome = 'selected'", user);
    assertTrue(selected >= 1 && selected <= 3, selected + " selections: the daily cap is 3");
    assertEquals(selected, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = $1", user));
    assertEquals(selected, agents.personalized.size(), "each selection dressed once, no retry asked again");
  }
}
