package viralengine.safety;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.peers.PeerFixtures;
import viralengine.support.MutableClock;
import viralengine.support.PeerRpc;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trust_safety agent over real HTTP and PostgreSQL: each rule, blocks, and abuse reports that revoke rewards. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrustSafetyHttpTest {
  static final Instant START = Instant.parse("2026-12-07T10:00:00Z");
  static final MutableClock CLOCK = new MutableClock(START);
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming().mergeIn(TestService.builtInAgents()).put("trust_safety", new JsonObject()
        .put("max_invites_per_day", 3).put("max_selections_per_hour", 4).put("report_block_days", 10)), CLOCK);
  }

  @AfterAll
  static void stop() {
    PeerFixtures.reset(svc);
    svc.close();
  }

  @BeforeEach
  void reset() {
    CLOCK.set(START);
    PeerFixtures.reset(svc);
    PeerFixtures.upsert(svc, PeerFixtures.sharingLoop("peer_buddy"));
    PeerFixtures.upsert(svc, new JsonObject().put("name", "peer_quiet").put("display_name", "Quiet").put("active", false)
        .put("triggers", new JsonArray())
        .put("action", new JsonObject().put("type", "show_banner")));
  }

  static JsonObject check(String user, String loop, JsonObject learner) {
    return PeerRpc.ok(svc, "trust_safety", "check_action", new JsonObject().put("user_id", user).put("action", "loop_selected")
        .put("loop", loop).put("learner", learner));
  }

  static JsonObject adultCheck(String user) {
    return check(user, "peer_buddy", new JsonObject().put("age", 30).put("parental_consent", "unknown"));
  }

  static void assertVerdict(String verdict, List<String> reasons, JsonObject answer) {
    assertEquals(verdict, answer.getString("verdict"), answer.encode());
    assertEquals(new JsonArray(reasons), answer.getJsonArray("reasons"), answer.encode());
  }

  @Test
  void anAdultWithNothingAgainstThemIsAllowed() {
    JsonObject answer = adultCheck("ada");
    assertVerdict("allow", List.of(), answer);
    assertEquals(0.0, answer.getDouble("risk_score"));
  }

  @Test
  void aBlockedLearnerIsBlockedUntilTheBlockEndsOrIsLifted() {
    PeerRpc.ok(svc, "trust_safety", "block_user", new JsonObject().put("user_id", "ada").put("reason", "spam")
        .put("until", START.plus(Duration.ofDays(1)).toString()));
    assertVerdict("block", List.of("blocked_user"), adultCheck("ada"));
    assertEquals("ada", PeerRpc.ok(svc, "trust_safety", "list_blocks", new JsonObject()).getJsonArray("blocks")
        .getJsonObject(0).getString("user_id"));
    CLOCK.advance(Duration.ofDays(1).plusSeconds(1));
    assertVerdict("allow", List.of(), adultCheck("ada"));
    assertEquals(0, PeerRpc.ok(svc, "trust_safety", "list_blocks", new JsonObject()).getJsonArray("blocks").size());
    PeerRpc.ok(svc, "trust_safety", "block_user", new JsonObject().put("user_id", "ada").put("reason", "spam"));
    assertVerdict("block", List.of("blocked_user"), adultCheck("ada"));
    assertEquals(true, PeerRpc.ok(svc, "trust_safety", "unblock_user", new JsonObject().put("user_id", "ada")).getBoolean("unblocked"));
    assertVerdict("allow", List.of(), adultCheck("ada"));
  }

  @Test
  void aChildWithoutConsentIsBlockedFromASharingLoopOnly() {
    JsonObject child = new JsonObject().put("age", 10).put("parental_consent", "unknown");
    assertVerdict("block", List.of("child_sharing"), check("kid", "peer_buddy", child));
    assertVerdict("block", List.of("child_sharing"), check("kid", "peer_buddy", new JsonObject()), "unknown age");
    assertVerdict("allow", List.of(), check("kid", "peer_buddy", child.copy().put("parental_consent", "granted")));
    assertVerdict("allow", List.of(), check("kid", "peer_quiet", child), "a loop that shares nothing");
    assertVerdict("allow", List.of(), check("teen", "peer_buddy", new JsonObject().put("age", 13)));
  }

  static void assertVerdict(String verdict, List<String> reasons, JsonObject answer, String why) {
    assertEquals(verdict, answer.getString("verdict"), why + ": " + answer.encode());
    assertEquals(new JsonArray(reasons), answer.getJsonArray("reasons"), why);
  }

  @Test
  void moreInvitesInADayThanTheLimitBlock() {
    PeerFixtures.adult(svc, "ada", new JsonObject());
    String decision = PeerFixtures.selected(svc, "ada");
    for (int i = 0; i < 3; i++) {
      PeerFixtures.outcome(svc, decision, "invite_sent", null, null);
    }
    assertVerdict("allow", List.of(), adultCheck("ada"), "3 invites: at the limit");
    PeerFixtures.outcome(svc, decision, "invite_sent", null, null);
    assertVerdict("block", List.of("invite_rate"), adultCheck("ada"), "4 invites in 24 hours");
    CLOCK.advance(Duration.ofHours(25));
    assertVerdict("allow", List.of(), adultCheck("ada"), "a day later");
  }

  @Test
  void moreSelectionsInAnHourThanTheLimitBlock() {
    long loopId = svc.query("SELECT id FROM viral_loops WHERE name = 'peer_buddy'").iterator().next().getLong(0);
    for (int i = 0; i < 5; i++) {
      svc.query("INSERT INTO loop_exposures (user_id, loop_id, decision_id, fired_at) VALUES ($1, $2, gen_random_uuid(), $3)",
          "ada", loopId, START.minus(Duration.ofMinutes(10L * i)).atOffset(java.time.ZoneOffset.UTC));
    }
    assertVerdict("block", List.of("invite_rate"), adultCheck("ada"), "5 selections in the last hour");
    CLOCK.advance(Duration.ofMinutes(25)); // the one 40 minutes before START is now 65 minutes old
    assertVerdict("allow", List.of(), adultCheck("ada"), "4 in the last hour");
  }

  @Test
  void aLearnerWhoJoinedThroughSomeoneTheyReferredIsARing() {
    PeerFixtures.adult(svc, "ann", new JsonObject());
    PeerFixtures.adult(svc, "bob", new JsonObject());
    PeerFixtures.outcome(svc, PeerFixtures.selected(svc, "ann"), "joined", "bob", null);
    assertVerdict("allow", List.of(), adultCheck("ann"), "one way is no ring");
    PeerFixtures.outcome(svc, PeerFixtures.selected(svc, "bob"), "joined", "ann", null);
    assertVerdict("block", List.of("referral_ring"), adultCheck("ann"));
    assertVerdict("block", List.of("referral_ring"), adultCheck("bob"));
  }

  @Test
  void aReportRevokesTheDecisionsRewardsBlocksItsLoopAndFlagsTheLearner() {
    PeerFixtures.adult(svc, "ann", new JsonObject());
    String decision = PeerFixtures.selected(svc, "ann");
    JsonObject joined = PeerFixtures.outcome(svc, decision, "joined", "bob", "join-1");
    assertEquals(2, joined.getJsonArray("rewards").size(), joined.encode());
    assertEquals(1, PeerFixtures.balances(svc, "ann").size());
    assertEquals(1, PeerFixtures.balances(svc, "bob").size());

    JsonObject params = new JsonObject().put("decision_id", decision).put("reason", "spam invites").put("request_id", "rep-1");
    JsonObject report = PeerRpc.ok(svc, "trust_safety", "report_abuse", params);
    assertEquals("ann", report.getString("user_id"));
    assertEquals("peer_buddy", report.getString("loop"));
    assertEquals(2, report.getJsonArray("revoked_grants").size());
    assertEquals(START.plus(Duration.ofDays(10)).toString(), report.getString("loop_blocked_until"));
    assertEquals(0, PeerFixtures.balances(svc, "ann").size(), "the referrer's reward is revoked");
    assertEquals(0, PeerFixtures.balances(svc, "bob").size(), "the joiner's reward is revoked");
    assertEquals(2, svc.count("SELECT count(*) FROM reward_grants"), "grants are never edited");

    assertEquals(report, PeerRpc.ok(svc, "trust_safety", "report_abuse", params), "a retry answers the first report");
    assertEquals(1, svc.count("SELECT count(*) FROM abuse_reports"));
    assertEquals(-32004, PeerRpc.error(svc, "trust_safety", "report_abuse", params.copy().put("reason", "other"))
        .getInteger("code"));

    JsonObject sameLoop = adultCheck("ann");
    assertVerdict("block", List.of("reported"), sameLoop, "the reported loop is blocked for ann");
    JsonObject otherLoop = check("ann", "peer_quiet", new JsonObject().put("age", 30));
    assertVerdict("flag", List.of("reported"), otherLoop, "one report adds 0.5");
    assertEquals(0.5, otherLoop.getDouble("risk_score"));
    CLOCK.advance(Duration.ofDays(10).plusSeconds(1));
    assertVerdict("flag", List.of("reported"), adultCheck("ann"), "the loop block ended; the report still counts");
    CLOCK.advance(Duration.ofDays(21));
    assertVerdict("allow", List.of(), adultCheck("ann"), "30 days on, the report no longer counts");
  }

  @Test
  void twoReportsBlockEveryLoop() {
    PeerFixtures.adult(svc, "ann", new JsonObject());
    // Both decisions first: a report blocks its loop for the learner, and decisions are vetted by trust_safety.
    List<String> decisions = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      decisions.add(PeerFixtures.selected(svc, "ann"));
      CLOCK.advance(Duration.ofDays(2)); // past the loop's cooldown and caps
    }
    for (String decision : decisions) {
      PeerRpc.ok(svc, "trust_safety", "report_abuse", new JsonObject().put("decision_id", decision).put("reason", "spam"));
    }
    JsonObject answer = check("ann", "peer_quiet", new JsonObject().put("age", 30));
    assertVerdict("block", List.of("reported"), answer, "two reports: risk 1.0");
    assertEquals(1.0, answer.getDouble("risk_score"));
  }

  @Test
  void reportingAnUnknownDecisionIsNotFound() {
    assertEquals(-32006, PeerRpc.error(svc, "trust_safety", "report_abuse", new JsonObject()
        .put("decision_id", "0192f4c1-7d8e-7a3b-9c1d-2e3f4a5b6c7d").put("reason", "spam")).getInteger("code"));
  }

  @Test
  void badParamsAreRefusedNamingTheField() {
    assertEquals("learner.age", PeerRpc.error(svc, "trust_safety", "check_action", new JsonObject().put("user_id", "a")
        .put("action", "loop_selected").put("loop", "peer_buddy").put("learner", new JsonObject().put("age", -1)))
        .getJsonObject("data").getString("field"));
    assertEquals("action", PeerRpc.error(svc, "trust_safety", "check_action", new JsonObject().put("user_id", "a")
        .put("action", "share").put("loop", "peer_buddy")).getJsonObject("data").getString("field"));
    assertEquals("until", PeerRpc.error(svc, "trust_safety", "block_user", new JsonObject().put("user_id", "a")
        .put("reason", "x").put("until", START.minusSeconds(1).toString())).getJsonObject("data").getString("field"));
    assertTrue(PeerRpc.error(svc, "trust_safety", "check_action", new JsonObject().put("user_id", "a")
        .put("action", "loop_selected").put("loop", "no_such_loop")).getString("message").contains("loop"));
  }
}
