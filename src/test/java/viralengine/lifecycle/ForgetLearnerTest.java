package viralengine.lifecycle;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * forget_learner over real HTTP and PostgreSQL (issue 28): a learner with a profile, events with context, decisions,
 * exposures, outcomes, a referral in each direction and report rollups is forgotten; then no table holds their user_id
 * or any of their personal values, the report is unchanged, the erasure is audited, a second call changes nothing, and
 * every cache lets go of them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForgetLearnerTest {
  static final String CHILD = "child-7f3a";
  static final String SCHOOL = "Maple-Ridge-Elementary-9931";
  static final String NICKNAME = "Sunny-Otter-4471";
  static final String FRIEND = "friend-b2c8";
  static final String REFERRER = "referrer-51d0";
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming());
  }

  @AfterAll
  static void stop() {
    restoreSeed(svc);
    svc.close();
  }

  @BeforeEach
  void reset() {
    openBuddyChallenge(svc);
  }

  /** Empty audit tables and erasures, and buddy_challenge open to anyone, any time, as often as asked. */
  static void openBuddyChallenge(TestService svc) {
    svc.resetData();
    svc.query("TRUNCATE learner_erasures");
    svc.query("UPDATE viral_loops SET active = true, cooldown_seconds = 0, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}' WHERE name = 'buddy_challenge'");
    svc.query("UPDATE frequency_rules SET max_count = 1000 WHERE id = 'global_daily'");
    TestService.await(svc.service.catalog().reload());
  }

  /** The seed state back, for the test classes that run next on this database. */
  static void restoreSeed(TestService svc) {
    svc.resetData();
    svc.query("TRUNCATE learner_erasures");
    svc.query("UPDATE frequency_rules SET max_count = 3 WHERE id = 'global_daily'");
    svc.query("UPDATE viral_loops SET cooldown_seconds = 86400, triggers = '{practice_completed}',"
        + " audience = '{\"personas\": [\"student\"], \"requires_parental_consent\": true}' WHERE name = 'buddy_challenge'");
  }

  static JsonObject result(JsonObject response) {
    assertNotNull(response.getJsonObject("result"), response.encode());
    return response.getJsonObject("result");
  }

  static JsonObject forget(String user, String requestId) {
    return result(svc.admin("forget_learner", new JsonObject().put("user_id", user).put("request_id", requestId)
        .put("reason", "parent request, ticket 4711")));
  }

  /** The child's history: a profile, 6 events with context, outcomes (one a referral), and a friend's referral. */
  static List<String> fixture() {
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", CHILD).put("persona", "student")
        .put("birth_year", 2015).put("attributes", new JsonObject().put("nickname", NICKNAME))));
    List<String> decisions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      JsonObject decided = result(svc.rpc("trigger_event", new JsonObject().put("user_id", CHILD)
          .put("event_type", "practice_completed").put("request_id", "child-event-" + UUID.randomUUID())
          .put("context", new JsonObject().put("school", SCHOOL).put("score", 90 + i))));
      decisions.add(decided.getString("decision_id"));
    }
    String first = decisions.get(0);
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", first).put("outcome", "shown")
        .put("context", new JsonObject().put("school", SCHOOL))));
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", first).put("outcome", "joined")
        .put("referred_user_id", FRIEND)));
    // The child joined through someone else's invitation: that row names the child as referred_user_id.
    String theirs = result(svc.rpc("trigger_event", new JsonObject().put("user_id", REFERRER)
        .put("event_type", "practice_completed"))).getString("decision_id");
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", theirs).put("outcome", "joined")
        .put("referred_user_id", CHILD)));
    return decisions;
  }

  static JsonObject report() {
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
    return result(svc.rpc("loop_report", new JsonObject().put("from", hour.minus(1, ChronoUnit.DAYS).toString())
        .put("to", hour.plus(2, ChronoUnit.HOURS).toString())));
  }

  static Map<String, Long> mentions(String value) {
    return mentions(svc, value);
  }

  /** Rows of every table whose text mentions {@code value}, by table. */
  static Map<String, Long> mentions(TestService svc, String value) {
    Map<String, Long> found = new TreeMap<>();
    for (Row table : svc.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        + " AND table_type = 'BASE TABLE'")) {
      String name = table.getString(0);
      long n = svc.count("SELECT count(*) FROM \"" + name + "\" t WHERE t::text LIKE '%' || $1 || '%'", value);
      if (n > 0) {
        found.put(name, n);
      }
    }
    return found;
  }

  /** Every row of every table but the erasures' own, as text: what "nothing changes" compares. */
  /**
   * Every table's rows, once the report job has folded its inbox into the rollups: the job runs on its own schedule,
   * and a fold between two snapshots would look like a change the erasure made.
   */
  static Map<String, List<String>> everything() {
    long deadline = System.currentTimeMillis() + 30_000;
    while (svc.count("SELECT count(*) FROM report_inbox") > 0 && System.currentTimeMillis() < deadline) {
      TestService.await(svc.vertx.timer(20));
    }
    Map<String, List<String>> all = new TreeMap<>();
    for (Row table : svc.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        + " AND table_type = 'BASE TABLE' AND table_name <> 'learner_erasures'")) {
      String name = table.getString(0);
      List<String> rows = new ArrayList<>();
      svc.query("SELECT t::text FROM \"" + name + "\" t ORDER BY 1").forEach(r -> rows.add(r.getString(0)));
      all.put(name, rows);
    }
    return all;
  }

  @Test
  void noTableNamesTheLearnerOrTheirPersonalValuesAfterwardAndTheReportIsUnchanged() {
    List<String> decisions = fixture();
    JsonObject before = report();
    long decisionRows = svc.count("SELECT count(*) FROM agent_decisions");
    long eventRows = svc.count("SELECT count(*) FROM viral_events");
    long outcomeRows = svc.count("SELECT count(*) FROM loop_outcomes");
    assertFalse(mentions(CHILD).isEmpty(), "the fixture names the child");
    assertFalse(mentions(SCHOOL).isEmpty(), "the fixture holds their context");

    JsonObject erased = forget(CHILD, "erasure-1");

    assertEquals(Map.of(), mentions(CHILD), "no row names the child");
    assertEquals(Map.of(), mentions(SCHOOL), "no row holds their event context");
    assertEquals(Map.of(), mentions(NICKNAME), "no row holds their profile attributes");
    String tombstone = erased.getString("tombstone");
    assertTrue(tombstone.startsWith("erased:"), tombstone);
    assertEquals(decisionRows, svc.count("SELECT count(*) FROM agent_decisions"), "the audit keeps its rows");
    assertEquals(eventRows, svc.count("SELECT count(*) FROM viral_events"));
    assertEquals(outcomeRows, svc.count("SELECT count(*) FROM loop_outcomes"));
    assertEquals(6, svc.count("SELECT count(*) FROM agent_decisions WHERE user_id = $1", tombstone));
    assertEquals(6, svc.count("SELECT count(*) FROM viral_events WHERE user_id = $1 AND context = '{}'", tombstone));
    assertEquals(1, svc.count("SELECT count(*) FROM loop_outcomes WHERE referred_user_id = $1", tombstone),
        "the referral that brought the child keeps its shape, under the tombstone");
    assertEquals(0, svc.count("SELECT count(*) FROM loop_outcomes WHERE user_id = $1 AND referred_user_id IS NOT NULL",
        tombstone), "the child's own outcomes lose the friend they referred");
    assertEquals(Map.of(), mentions(FRIEND), "the friend the child referred is named nowhere");
    assertEquals(before, report(), "loop_report's figures are unchanged");

    JsonObject rows = erased.getJsonObject("rows");
    assertEquals(6L, rows.getLong("agent_decisions.user_id"));
    assertEquals(6L, rows.getLong("viral_events.user_id"));
    assertEquals(1L, rows.getLong("learners.user_id"));
    assertEquals(2L, rows.getLong("loop_outcomes.user_id"));
    assertEquals(1L, rows.getLong("loop_outcomes.referred_user_id"));
    assertFalse(erased.getBoolean("replayed"));

    Row audit = svc.query("SELECT actor, reason, user_id, completed_at, row_counts FROM learner_erasures"
        + " WHERE request_id = 'erasure-1'").iterator().next();
    assertEquals("anonymous", audit.getString("actor"));
    assertEquals("parent request, ticket 4711", audit.getString("reason"));
    assertNull(audit.getValue("user_id"), "the audit keeps no user_id once done");
    assertNotNull(audit.getValue("completed_at"));
    assertEquals(rows, audit.getValue("row_counts"));

    JsonObject learner = result(svc.rpc("get_learner", new JsonObject().put("user_id", CHILD)));
    assertEquals(new JsonObject(), learner.getJsonObject("attributes"), "get_learner answers defaults");
    assertNull(learner.getValue("birth_year"));
    assertNull(learner.getValue("persona"));

    JsonObject explained = result(svc.rpc("explain_decision", new JsonObject().put("decision_id", decisions.get(0))));
    assertTrue(explained.getBoolean("learner_erased"), explained.encode());
    assertEquals(new JsonObject().put("user_id", tombstone).put("event_type", "practice_completed"),
        explained.getJsonObject("input"));
    JsonObject someoneElse = result(svc.rpc("explain_decision", new JsonObject().put("decision_id",
        svc.query("SELECT decision_id::text FROM agent_decisions WHERE user_id = $1", REFERRER).iterator().next().getString(0))));
    assertFalse(someoneElse.getBoolean("learner_erased"));
    String metrics = svc.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("viral_learner_erasures_total{kind=\"request\"}"), "counted in the metrics");
    assertTrue(metrics.contains("viral_learner_erasure_seconds_count"), "and timed");
  }

  @Test
  void forgettingTwiceChangesNothingTheSecondTime() {
    fixture();
    JsonObject first = forget(CHILD, "erasure-2");
    Map<String, List<String>> after = everything();

    JsonObject again = forget(CHILD, "erasure-2");
    assertTrue(again.getBoolean("replayed"), "the same request_id answers the first call's result");
    assertEquals(first.copy().put("replayed", true), again);
    assertEquals(after, everything(), "nothing changed");

    JsonObject another = forget(CHILD, "erasure-3");
    assertFalse(another.getBoolean("replayed"));
    assertEquals(first.getString("tombstone"), another.getString("tombstone"), "one learner, one tombstone");
    another.getJsonObject("rows").forEach(e -> assertEquals(0L, ((Number) e.getValue()).longValue(), e.getKey()));
    assertEquals(after, everything(), "a new request for a learner already forgotten changes no row either");
    assertEquals(2, svc.count("SELECT count(*) FROM learner_erasures"), "both requests are audited");
  }

  /** Racing calls: one erasure per request_id, and the rows rewritten once however many requests race. */
  @Test
  void racingRequestsEraseOnceAndAgreeOnTheResult() {
    fixture();
    List<Future<JsonObject>> same = new ArrayList<>();
    List<Future<JsonObject>> different = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      same.add(forgetAsync(CHILD, "erasure-race"));
      different.add(forgetAsync(CHILD, "erasure-race-" + i));
    }
    TestService.await(Future.all(new ArrayList<Future<?>>(same)));
    TestService.await(Future.all(new ArrayList<Future<?>>(different)));
    List<JsonObject> answers = same.stream().map(Future::result).toList();
    assertEquals(1, answers.stream().filter(a -> !a.getBoolean("replayed")).count(), "one call did the work");
    answers.forEach(a -> assertEquals(answers.get(0).getJsonObject("rows"), a.getJsonObject("rows")));
    long decisionsRewritten = answers.get(0).getJsonObject("rows").getLong("agent_decisions.user_id")
        + different.stream().mapToLong(f -> f.result().getJsonObject("rows").getLong("agent_decisions.user_id")).sum();
    assertEquals(6, decisionsRewritten, "each of the child's 6 decisions was rewritten by exactly one erasure");
    assertEquals(7, svc.count("SELECT count(*) FROM learner_erasures WHERE completed_at IS NOT NULL"));
    assertEquals(Map.of(), mentions(CHILD));
  }

  static Future<JsonObject> forgetAsync(String user, String requestId) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "forget_learner")
        .put("params", new JsonObject().put("user_id", user).put("request_id", requestId));
    return svc.http.post(svc.port, "127.0.0.1", "/mcp/admin/forget_learner").putHeader("content-type", "application/json")
        .sendBuffer(io.vertx.core.buffer.Buffer.buffer(request.encode()))
        .map(response -> result(response.bodyAsJsonObject()));
  }

  /**
   * A replayed row of an erased learner folded into the rollups before its erasure caught up makes a link under the
   * user_id for an hour the tombstone already has: the erasure must neither fail on the key nor move a count.
   */
  @Test
  void aRollupLinkTheTombstoneAlreadyHasIsDroppedWithoutMovingTheReport() {
    fixture();
    String tombstone = forget(CHILD, "erasure-6").getString("tombstone");
    JsonObject before = report();
    long twins = svc.count("WITH copied AS (INSERT INTO report_chain (kind, level, loop_id, grp, user_id, hour, prev_hour)"
        + " SELECT kind, level, loop_id, grp, $2, hour, prev_hour FROM report_chain WHERE user_id = $1 RETURNING 1)"
        + " SELECT count(*) FROM copied", tombstone, CHILD);
    assertTrue(twins > 0, "the fixture has rollup links");

    JsonObject again = forget(CHILD, "erasure-7");
    assertEquals(twins, again.getJsonObject("rows").getLong("report_chain.user_id (twins)"));
    assertEquals(Map.of(), mentions(CHILD));
    assertEquals(before, report());
  }

  @Test
  void aRequestIdUsedForAnotherLearnerIsAConflictAndBadParamsNameTheField() {
    forget("someone", "erasure-4");
    JsonObject conflict = svc.admin("forget_learner", new JsonObject().put("user_id", "someone-else")
        .put("request_id", "erasure-4")).getJsonObject("error");
    assertEquals(-32004, conflict.getInteger("code"), conflict.encode());

    for (JsonObject bad : List.of(new JsonObject().put("request_id", "r"),
        new JsonObject().put("user_id", "u"),
        new JsonObject().put("user_id", "has space").put("request_id", "r"),
        new JsonObject().put("user_id", "u").put("request_id", "r").put("reason", ""),
        new JsonObject().put("user_id", "u").put("request_id", "r").put("why", "x"))) {
      JsonObject error = svc.admin("forget_learner", bad).getJsonObject("error");
      assertNotNull(error, bad.encode());
      assertEquals(-32602, error.getInteger("code"), bad.encode());
    }
    assertEquals(1, svc.count("SELECT count(*) FROM learner_erasures"));
  }

  @Test
  void theNodeForgetsWhatItKeptOfTheLearner() {
    JsonObject shown = result(svc.rpc("trigger_event", new JsonObject().put("user_id", CHILD)
        .put("event_type", "practice_completed")));
    assertEquals("selected", shown.getString("outcome"));
    svc.query("UPDATE viral_loops SET cooldown_seconds = 86400 WHERE name = 'buddy_challenge'");
    TestService.await(svc.service.catalog().reload());
    assertEquals("no_eligible_loop", result(svc.rpc("trigger_event", new JsonObject().put("user_id", CHILD)
        .put("event_type", "practice_completed"))).getString("outcome"), "cooling down, from the kept state");

    forget(CHILD, "erasure-5");
    assertEquals("selected", result(svc.rpc("trigger_event", new JsonObject().put("user_id", CHILD)
        .put("event_type", "practice_completed"))).getString("outcome"), "nothing of their history is kept");
  }
}
