package viralengine.orchestrator;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import viralengine.support.FakeRemoteAgent;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.AgentsHttpTest.activate;
import static viralengine.orchestrator.AgentsHttpTest.calls;
import static viralengine.orchestrator.AgentsHttpTest.explain;
import static viralengine.orchestrator.AgentsHttpTest.select;
import static viralengine.orchestrator.DecisionsHttpTest.result;

/**
 * The three agents replaced by a remote agent by config (agents.*.url), a real HTTP server that is slow, failing,
 * malformed or hanging. Each case shows the fallback, the outcome recorded in features_used.agents, each agent's
 * breaker opening while the orchestrator's stays closed, and every decision still answered inside the SLA (150 ms,
 * the production default, which the HTTP edge enforces: a late decision would be answered degraded).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RemoteAgentsHttpTest {
  static final String TOKEN = "fake-agent-token-0123456789";
  /** Enough failing calls to open each agent's breaker (10 failures), and two more to see it open. */
  static final int DECISIONS = 14;
  static final int MAY_MISS = DECISIONS / 2;
  static Vertx remote;
  FakeRemoteAgent agent;
  TestService svc;

  @BeforeAll
  static void startRemote() {
    remote = Vertx.vertx();
  }

  @AfterAll
  static void stopRemote() {
    TestService.await(remote.close());
  }

  @AfterEach
  void stop() {
    if (svc != null) {
      svc.resetData();
      svc.close();
    }
    agent.close();
  }

  void start(FakeRemoteAgent.Mode mode) {
    agent = FakeRemoteAgent.start(remote);
    agent.everyAgent(mode);
    JsonObject agents = new JsonObject();
    for (String name : List.of("trust_safety", "personalization", "incentives")) {
      agents.put(name, new JsonObject().put("url", agent.baseUrl()).put("token", TOKEN));
    }
    svc = TestService.start(new JsonObject().put("agents", agents)
        .put("orchestrator", new JsonObject().put("loops_refresh_ms", 100))
        .put("spool", new JsonObject().put("flush_timeout_ms", 1_000)));
    svc.resetData();
    activate(svc, "buddy_challenge");
  }

  /** An adult: trust_safety's fallback (block_minors) lets them through, so the loop is shown. */
  JsonObject decideForAdult(String user) {
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", user).put("birth_year", 1990)));
    JsonObject answer = select(svc, user, false);
    if (!answer.getBoolean("degraded", false)) {
      assertTrue(answer.getDouble("latency_ms") < 150, "inside the SLA: " + answer.getDouble("latency_ms"));
      assertEquals("buddy_challenge", answer.getString("loop"), answer.encode());
    }
    return answer;
  }

  /**
   * {@link #DECISIONS} decisions for adults, of which at most {@link #MAY_MISS} missed the SLA. On this shared machine
   * (a load of 9 to 12 on 2 cores) a decision made in 4 ms was once answered after 150 ms, and decisions with every
   * agent's circuit open took 37 to 59 ms, and 6 of 14 once missed: the edge then answers the default decision in the
   * orchestrator's place, with agents or without. Every decision the orchestrator answered must be inside the SLA.
   */
  List<JsonObject> decideForAdults(String prefix) {
    List<JsonObject> answers = new java.util.ArrayList<>();
    for (int i = 0; i < DECISIONS; i++) {
      answers.add(decideForAdult(prefix + i));
    }
    long late = answers.stream().filter(answer -> answer.getBoolean("degraded", false)).count();
    System.out.println(prefix + ": " + late + " of " + DECISIONS + " decisions missed the SLA");
    assertTrue(late <= MAY_MISS, late + " of " + DECISIONS + " decisions missed the SLA: " + answers);
    return answers;
  }

  static JsonObject firstInTime(List<JsonObject> answers, int from, int to) {
    return answers.subList(from, to).stream().filter(answer -> !answer.getBoolean("degraded", false)).findFirst()
        .orElseThrow(() -> new AssertionError("no decision in time among " + answers.subList(from, to)));
  }

  @Test
  void aHealthyRemoteAgentIsCalledWithItsBearerTokenAndItsAnswersAreMerged() {
    start(FakeRemoteAgent.Mode.OK);
    JsonObject answer = firstInTime(decideForAdults("remote-ok-"), 0, DECISIONS);

    JsonObject action = answer.getJsonObject("action");
    assertEquals("Remote headline", action.getString("headline"));
    assertEquals("xp", action.getJsonObject("reward").getString("type"));
    assertEquals(List.of("trust_safety.check_action:ok", "personalization.personalize:ok", "incentives.offer_reward:ok"),
        calls(explain(svc, answer).getJsonArray("agents")));
    assertTrue(agent.authorizations().size() >= 3 * DECISIONS, "every call reached the agent");
    agent.authorizations().forEach(header -> assertEquals("Bearer " + TOKEN, header));
    assertTrue(agent.requests().stream().anyMatch(r -> "check_action".equals(r.getString("method"))));
    assertFalse(svc.get("/mcp/orchestrator/health").bodyAsString().contains(TOKEN));
    assertTrue(svc.get("/metrics").bodyAsString()
        .contains("viral_agent_circuit_breaker_state{agent=\"personalization\",state=\"closed\"} 1.0"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({"SLOW, timeout", "FAILING, error", "MALFORMED, invalid", "HANGING, timeout"})
  void aMisbehavingAgentFallsBackOpensItsOwnBreakerAndNeverTheOrchestrators(FakeRemoteAgent.Mode mode, String outcome) {
    start(mode);
    List<JsonObject> answers = decideForAdults("remote-" + mode + "-");

    JsonObject first = firstInTime(answers, 0, 9); // before the tenth failure opens the breakers
    JsonObject action = first.getJsonObject("action");
    assertEquals("Challenge a buddy!", action.getString("headline"), "the copy as stored");
    assertNull(action.getValue("reward"), "no reward the ledger has not offered");
    JsonArray audit = explain(svc, first).getJsonArray("agents");
    assertEquals(List.of("trust_safety.check_action:" + outcome, "personalization.personalize:" + outcome,
        "incentives.offer_reward:" + outcome), calls(audit));
    audit.stream().map(JsonObject.class::cast).forEach(call -> assertTrue(call.getBoolean("fallback"), call.encode()));
    assertEquals("allow", audit.getJsonObject(0).getString("verdict"), "block_minors allows an adult");

    // A call with no budget left (the decision already late) is not made and does not count against the agent; on a
    // busy machine that can leave personalization's or incentives' breaker a failure or two short: decide on.
    List<String> allOpen = List.of("trust_safety.check_action:circuit_open", "personalization.personalize:circuit_open",
        "incentives.offer_reward:circuit_open");
    List<String> seen = List.of();
    for (int i = DECISIONS; i < 3 * DECISIONS && !seen.equals(allOpen); i++) {
      JsonObject answer = decideForAdult("remote-" + mode + "-" + i);
      if (!answer.getBoolean("degraded", false)) {
        seen = calls(explain(svc, answer).getJsonArray("agents"));
      }
    }
    assertEquals(allOpen, seen, "every agent's breaker opened");
    String metrics = svc.get("/metrics").bodyAsString();
    for (String name : List.of("trust_safety", "personalization", "incentives")) {
      assertTrue(metrics.contains("viral_agent_circuit_breaker_state{agent=\"" + name + "\",state=\"open\"} 1.0"),
          name + "'s breaker is open");
      assertTrue(metrics.contains("viral_agent_calls_total{agent=\"" + name + "\",outcome=\"" + outcome + "\"}"));
    }
    assertTrue(metrics.contains("viral_circuit_breaker_state{state=\"closed\"} 1.0"), "the orchestrator's is closed");
    assertEquals("closed", svc.get("/mcp/orchestrator/health").bodyAsJsonObject().getString("circuit_breaker"));

    JsonObject child = select(svc, "remote-" + mode + "-unknown-age", false);
    if (!child.getBoolean("degraded", false)) {
      assertEquals("no_eligible_loop", child.getString("outcome"), "block_minors blocks a learner of unknown age");
    }
  }
}
