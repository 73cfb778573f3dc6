package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.MutableClock;
import viralengine.support.TableLock;
import viralengine.support.TestService;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** Phase 2 decisions over real HTTP against the real PostgreSQL, on a clock the tests move. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public class DecisionsHttpTest {
  static final Instant START = Instant.parse("2026-11-29T20:00:00Z"); // 12:00 in Los Angeles
  static final MutableClock CLOCK = new MutableClock(START);
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(config(), CLOCK);
    setGlobalDailyCap(svc, 1);
  }

  /** Sets the seed rule global_daily (global, N per calendar day) through the admin agent, and waits until it is in use. */
  static void setGlobalDailyCap(TestService service, int max) {
    JsonObject changed = result(service.admin("upsert_frequency_rule", new JsonObject().put("rule", new JsonObject()
        .put("id", "global_daily").put("scope", "global").putNull("scope_key").put("max_count", max)
        .put("period", "calendar_day"))));
    service.awaitConfigVersion(changed.getLong("config_version"));
  }

  /**
   * One selection per learner per day, loop changes seen within 100 ms, and an SLA and flush timeout loose
   * enough for a busy test machine: these tests are about what is decided, not how fast.
   */
  static JsonObject config() {
    return TestService.relaxedTiming();
  }

  @AfterAll
  static void stop() {
    setGlobalDailyCap(svc, 3);
    svc.resetData();
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
    CLOCK.set(START);
  }

  /**
   * Activates one loop for everyone and every event type, with a cooldown, by hand in SQL (no NOTIFY: the
   * periodic reload, 100 ms here, picks it up), and waits until the orchestrator has loaded it.
   */
  public static void activate(TestService service, String loop, int cooldownSeconds) {
    service.query("UPDATE viral_loops SET active = true, cooldown_seconds = $2, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}' WHERE name = $1", loop, cooldownSeconds);
    awaitActiveLoops(service, 1);
  }

  public static void awaitActiveLoops(TestService service, int expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (service.get("/mcp/orchestrator/health").bodyAsJsonObject().getInteger("active_loops") != expected) {
      assertTrue(System.nanoTime() < deadline, "the orchestrator never loaded the loop change");
      await(service.vertx.timer(20));
    }
  }

  public static JsonObject result(JsonObject response) {
    assertNotNull(response.getJsonObject("result"), response.encode());
    return response.getJsonObject("result");
  }

  static JsonObject select(String user) {
    return result(svc.rpc("select_loop", new JsonObject().put("user_id", user).put("event_type", "practice_completed")));
  }

  @Test
  void anUnknownLearnerHasTheDefaultProfile() {
    JsonObject learner = result(svc.rpc("get_learner", new JsonObject().put("user_id", "never-seen")));
    assertEquals("UTC", learner.getString("timezone"));
    assertEquals("unknown", learner.getString("parental_consent"));
    assertFalse(learner.getBoolean("growth_opt_out"));
    assertNull(learner.getValue("birth_year"));
    assertEquals(0, svc.count("SELECT count(*) FROM learners WHERE user_id = 'never-seen'"), "reading writes nothing");
  }

  @Test
  void fieldsLeftOutKeepTheirStoredValue() {
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", "keep").put("timezone", "America/Los_Angeles")
        .put("birth_year", 2012).put("persona", "student").put("attributes", new JsonObject().put("cohort_size", 6))));
    JsonObject after = result(svc.rpc("upsert_learner", new JsonObject().put("user_id", "keep").put("parental_consent", "granted")));
    assertEquals("America/Los_Angeles", after.getString("timezone"));
    assertEquals(2012, after.getInteger("birth_year"));
    assertEquals("student", after.getString("persona"));
    assertEquals("granted", after.getString("parental_consent"));
    assertEquals(new JsonObject().put("cohort_size", 6), after.getJsonObject("attributes"));
    assertEquals(after, result(svc.rpc("get_learner", new JsonObject().put("user_id", "keep"))));
  }

  @Test
  void badProfileFieldsAreRejectedNamingTheField() {
    for (JsonObject bad : List.of(
        new JsonObject().put("user_id", "b").put("timezone", "Mars/Olympus_Mons"),
        new JsonObject().put("user_id", "b").put("birth_year", 1850),
        new JsonObject().put("user_id", "b").put("persona", "admin"),
        new JsonObject().put("user_id", "b").put("parental_consent", "maybe"),
        new JsonObject().put("user_id", "b").put("growth_opt_out", "yes"),
        new JsonObject().put("user_id", "b").put("attributes", "flat"),
        new JsonObject().put("user_id", "b").put("nickname", "x"))) {
      JsonObject error = svc.rpc("upsert_learner", bad).getJsonObject("error");
      assertEquals(-32602, error.getInteger("code"), bad.encode());
      String field = bad.fieldNames().stream().filter(f -> !f.equals("user_id")).findFirst().orElseThrow();
      assertEquals(field, error.getJsonObject("data").getString("field"), bad.encode());
    }
    assertEquals(0, svc.count("SELECT count(*) FROM learners WHERE user_id = 'b'"));
  }

  @Test
  void aSelectionIsAnsweredWithItsActionAndCountsTowardTheCap() {
    activate(svc, "buddy_challenge", 0);
    JsonObject first = select("sel-1");
    assertEquals("selected", first.getString("outcome"));
    assertEquals("buddy_challenge", first.getString("loop"));
    assertNotNull(first.getJsonObject("action"));
    assertEquals(new JsonArray().add("buddy_challenge"), first.getJsonArray("eligible_loops"));
    assertTrue(first.containsKey("config_version"));
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'sel-1'"));

    JsonObject second = select("sel-1");
    assertEquals("no_eligible_loop", second.getString("outcome"));
    assertNull(second.getValue("loop"));
    JsonObject explained = result(svc.rpc("explain_decision", new JsonObject().put("decision_id", second.getString("decision_id"))));
    JsonObject check = explained.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> "buddy_challenge".equals(c.getString("loop"))).findFirst().orElseThrow();
    assertEquals("cap_reached", check.getString("reason"));
    assertTrue(check.getString("detail").startsWith("global_daily: 1 of 1"), check.getString("detail"));
  }

  @Test
  void aLearnerInLosAngelesGetsTheLoopAgainAfterLocalMidnightNotUtcMidnight() {
    activate(svc, "buddy_challenge", 0);
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", "la").put("timezone", "America/Los_Angeles")));
    CLOCK.set(Instant.parse("2026-11-29T07:30:00Z")); // 23:30 on Nov 28 in Los Angeles
    assertEquals("selected", select("la").getString("outcome"));
    CLOCK.set(Instant.parse("2026-11-29T07:59:00Z")); // 23:59 local: the same local day
    assertEquals("no_eligible_loop", select("la").getString("outcome"));
    CLOCK.set(Instant.parse("2026-11-29T08:01:00Z")); // 00:01 local, though still Nov 29 in UTC
    assertEquals("selected", select("la").getString("outcome"));
    CLOCK.set(Instant.parse("2026-11-29T23:59:00Z")); // UTC midnight is near, but it is 15:59 local, the same day
    assertEquals("no_eligible_loop", select("la").getString("outcome"));
    assertEquals(2, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'la'"));
  }

  @Test
  void aCooldownOutlastsTheDailyCapAndEndsOnTheSecond() {
    activate(svc, "buddy_challenge", 2 * 86_400);
    assertEquals("selected", select("cool").getString("outcome"));
    CLOCK.advance(Duration.ofDays(1)); // a new day: the daily cap has room again, the two-day cooldown has not run out
    JsonObject resting = select("cool");
    assertEquals("no_eligible_loop", resting.getString("outcome"));
    JsonObject check = result(svc.rpc("explain_decision", new JsonObject().put("decision_id", resting.getString("decision_id"))))
        .getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> "buddy_challenge".equals(c.getString("loop"))).findFirst().orElseThrow();
    assertEquals("cooling_down", check.getString("reason"));
    CLOCK.advance(Duration.ofDays(1).minusSeconds(1));
    assertEquals("no_eligible_loop", select("cool").getString("outcome"), "one second before the cooldown ends");
    CLOCK.advance(Duration.ofSeconds(1));
    assertEquals("selected", select("cool").getString("outcome"));
  }

  @Test
  void aDryRunEvaluatesTheSameButCountsTowardNothing() {
    activate(svc, "buddy_challenge", 0);
    JsonObject dry = result(svc.rpc("select_loop", new JsonObject().put("user_id", "dry").put("dry_run", true)));
    assertEquals("selected", dry.getString("outcome"));
    assertEquals(true, dry.getBoolean("dry_run"));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'dry'"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1::uuid"
        + " AND (features_used->>'dry_run')::boolean", dry.getString("decision_id")), "marked as a dry run in the log");
    assertEquals("selected", select("dry").getString("outcome"), "the dry run did not use up the daily cap");
    JsonObject outcome = svc.rpc("record_outcome", new JsonObject().put("decision_id", dry.getString("decision_id"))
        .put("outcome", "shown"));
    assertEquals(-32602, outcome.getJsonObject("error").getInteger("code"), "a dry run showed nothing");
  }

  @Test
  void anOptedOutLearnerGetsNoLoop() {
    activate(svc, "buddy_challenge", 0);
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", "out").put("growth_opt_out", true)));
    JsonObject answer = select("out");
    assertEquals("opted_out", answer.getString("outcome"));
    assertNull(answer.getValue("loop"));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'out'"));
  }

  @Test
  void fiftyConcurrentSelectionsForOneLearnerAgainstAOnePerDayCapSelectOnce() {
    activate(svc, "buddy_challenge", 0);
    List<JsonObject> answers = race(List.of(svc), "race-1", 50);
    assertEquals(1, answers.stream().filter(a -> "selected".equals(a.getString("outcome"))).count(), answers.toString());
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'race-1'"));
  }

  @Test
  void twoServiceInstancesOnOneDatabaseSelectOnceBetweenThem() {
    activate(svc, "buddy_challenge", 0);
    try (TestService other = TestService.start(config(), CLOCK)) {
      awaitActiveLoops(other, 1);
      for (int round = 0; round < 5; round++) {
        String user = "race-two-" + round;
        List<JsonObject> answers = race(List.of(svc, other), user, 50);
        assertEquals(1, answers.stream().filter(a -> "selected".equals(a.getString("outcome"))).count(),
            "round " + round + ": " + answers);
        assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = $1", user));
      }
    }
  }

  /**
   * Issue 22, one learner's backlog: the selection's durable write is held on the learner's row lock (as a slow commit,
   * or another process writing the same learner, would hold it), and the learner's other calls are still decided
   * (capped) and answered meanwhile. When each call waited for the one before it to be durable, none could answer
   * while the lock was held, and on a busy machine that queue made dozens of fifty calls miss the SLA. No timing is
   * asserted: only whether the answers came before the lock was released.
   */
  @Test
  void whileASelectionsWriteIsHeldTheLearnersOtherCallsAreStillDecided() throws Exception {
    activate(svc, "buddy_challenge", 0);
    String user = "held-selection";
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", user))); // the row the selection's guard updates
    try (Connection lock = TableLock.connect()) {
      lock.setAutoCommit(false);
      try (Statement st = lock.createStatement()) {
        st.execute("SELECT 1 FROM learners WHERE user_id = '" + user + "' FOR UPDATE");
      }
      Future<JsonObject> selection = send(svc, user, 0);
      svc.awaitLockWait("the selection's write");
      List<Future<JsonObject>> others = new ArrayList<>();
      for (int i = 1; i <= 19; i++) {
        others.add(send(svc, user, i));
      }
      Future<?> all = Future.join(others);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
      while (!all.isComplete() && System.nanoTime() < deadline) {
        await(svc.vertx.timer(10));
      }
      long answeredWhileHeld = others.stream().filter(Future::succeeded).count();
      boolean selectionWaited = !selection.isComplete();
      lock.commit();
      assertEquals(19, answeredWhileHeld, "the learner's other calls were answered while the selection's write waited");
      assertTrue(selectionWaited, "the selection waited for its write");
      assertEquals("selected", await(selection).getString("outcome"));
      for (Future<JsonObject> other : others) {
        JsonObject answer = other.result();
        assertEquals("no_eligible_loop", answer.getString("outcome"), answer.encode());
        JsonObject explained = result(svc.rpc("explain_decision", new JsonObject().put("decision_id",
            answer.getString("decision_id"))));
        assertEquals("cap_reached", explained.getJsonArray("checks").getJsonObject(0).getString("reason"), explained.encode());
      }
    }
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = $1", user));
    assertEquals(20, svc.count("SELECT count(*) FROM agent_decisions WHERE user_id = $1 AND success", user));
  }

  /** One select_loop for {@code user} to {@code target}, sent now; its result (a JSON-RPC error fails the future). */
  static Future<JsonObject> send(TestService target, String user, int id) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "select_loop")
        .put("params", new JsonObject().put("user_id", user));
    return target.http.post(target.port, "127.0.0.1", "/mcp/orchestrator").putHeader("content-type", "application/json")
        .sendBuffer(request.toBuffer()).map(response -> result(response.bodyAsJsonObject()));
  }

  /** {@code n} select_loop calls for one learner at once, spread over the services; every answer must be a result. */
  static List<JsonObject> race(List<TestService> services, String user, int n) {
    List<Future<JsonObject>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(send(services.get(i % services.size()), user, i));
    }
    return await(Future.all(calls)).list(); // a call answered with an error fails the race
  }


  @Test
  void outcomesAreRecordedForSelectionsAndExplained() {
    activate(svc, "buddy_challenge", 0);
    JsonObject decision = select("out-1");
    String id = decision.getString("decision_id");
    JsonObject shown = result(svc.rpc("record_outcome", new JsonObject().put("decision_id", id).put("outcome", "shown")
        .put("request_id", "shown-1")));
    assertEquals("buddy_challenge", shown.getString("loop"));
    JsonObject again = result(svc.rpc("record_outcome", new JsonObject().put("decision_id", id).put("outcome", "shown")
        .put("request_id", "shown-1")));
    assertEquals(shown.getString("outcome_id"), again.getString("outcome_id"), "idempotent by request_id");
    JsonObject reused = svc.rpc("record_outcome", new JsonObject().put("decision_id", id).put("outcome", "clicked")
        .put("request_id", "shown-1"));
    assertEquals(-32004, reused.getJsonObject("error").getInteger("code"));
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", id).put("outcome", "joined")
        .put("referred_user_id", "friend-1")));

    JsonObject explained = result(svc.rpc("explain_decision", new JsonObject().put("decision_id", id)));
    assertEquals("selected", explained.getString("outcome"));
    assertEquals("buddy_challenge", explained.getString("loop"));
    assertEquals("out-1", explained.getJsonObject("input").getString("user_id"));
    assertEquals(decision.getString("rationale"), explained.getJsonObject("result").getString("rationale"));
    assertFalse(explained.getJsonArray("checks").isEmpty());
    assertEquals(List.of("shown", "joined"), explained.getJsonArray("outcomes").stream()
        .map(o -> ((JsonObject) o).getString("outcome")).toList());
    assertEquals(true, explained.getJsonArray("outcomes").getJsonObject(1).getBoolean("last_touch"));
    assertEquals(2, svc.count("SELECT count(*) FROM loop_outcomes WHERE decision_id = $1::uuid", id));
  }

  @Test
  void outcomesAreRefusedForMissingDecisionsAndForDecisionsThatSelectedNothing() {
    JsonObject missing = svc.rpc("record_outcome", new JsonObject()
        .put("decision_id", "00000000-0000-4000-8000-000000000000").put("outcome", "shown"));
    assertEquals(-32006, missing.getJsonObject("error").getInteger("code"));
    JsonObject nothing = select("none-1");
    assertEquals("no_eligible_loop", nothing.getString("outcome"));
    JsonObject refused = svc.rpc("record_outcome", new JsonObject().put("decision_id", nothing.getString("decision_id"))
        .put("outcome", "shown"));
    assertEquals(-32602, refused.getJsonObject("error").getInteger("code"));
    assertTrue(refused.getJsonObject("error").getString("message").contains("no_eligible_loop"),
        refused.getJsonObject("error").getString("message"));
    JsonObject badReferral = svc.rpc("record_outcome", new JsonObject().put("decision_id", nothing.getString("decision_id"))
        .put("outcome", "shown").put("referred_user_id", "x"));
    assertEquals("referred_user_id", badReferral.getJsonObject("error").getJsonObject("data").getString("field"));
    JsonObject unknown = svc.rpc("explain_decision", new JsonObject().put("decision_id", "00000000-0000-4000-8000-000000000000"));
    assertEquals(-32006, unknown.getJsonObject("error").getInteger("code"));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_outcomes"));
  }
}
