package viralengine.report;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * loop_report against figures computed by hand from a fixture inserted with SQL (the way part A's rows will look):
 * decisions in the partial first and last hour of the range and in whole hours, a learner in both, a learner whose
 * earlier decision lies before the range, holdouts, variants, event types, a dry run, and rows outside the range.
 *
 * <p>The range is [09:30, 13:15) on 2026-11-10 UTC: whole hours 10:00-13:00 come from the rollups, 09:30-10:00 and
 * 13:00-13:15 from the raw rows. Loop A is buddy_challenge, loop B results_rally.
 * <pre>
 *   d1 A sel  u1 09:45 a practice_completed  shown, invite_sent x2, joined
 *   d2 A sel  u1 11:20 a practice_completed  shown, invite_sent, joined, fvm_reached
 *   d3 A sel  u2 10:05 b session_ended       shown
 *   d4 A sel  u3 12:59 b practice_completed  -
 *   d5 A sel  u4 13:10 a session_ended       shown, invite_sent
 *   d6 A sel  u2 09:10 a practice_completed  shown, joined       (before the range)
 *   d7 A sel  u5 13:15 a practice_completed  shown               (at to: outside)
 *   d8 A sel  u6 11:00 a practice_completed  dry run             (counts toward nothing)
 *   h1 A hold u7 10:30 practice_completed    joined
 *   h2 A hold u8 09:50 session_ended         -
 *   h3 A hold u7 12:10 practice_completed    -
 *   n1 none   u9 11:00 no_eligible_loop      -
 *   b1 B sel  u1 11:30 - diagnostic_completed shown
 * </pre>
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopReportTest {
  static final String FROM = "2026-11-10T09:30:00Z";
  static final String TO = "2026-11-10T13:15:00Z";
  static TestService svc;
  static long loopA;
  static long loopB;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming());
    loopA = svc.query("SELECT id FROM viral_loops WHERE name = 'buddy_challenge'").iterator().next().getLong(0);
    loopB = svc.query("SELECT id FROM viral_loops WHERE name = 'results_rally'").iterator().next().getLong(0);
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  static UUID decision(Long loop, String user, String time, String variant, String eventType, String outcome,
      boolean dryRun, String... outcomes) {
    UUID id = UUID.randomUUID();
    svc.query("INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success,"
        + " created_at, user_id, event_type, outcome, variant, features_used) VALUES ($1, 'orchestrator', 'select_loop',"
        + " '{}', $2, 1, true, $3, $4, $5, $6, $7, $8)", id, loop, OffsetDateTime.parse("2026-11-10T" + time + ":00Z"),
        user, eventType, outcome, variant, dryRun ? new JsonObject().put("dry_run", true) : new JsonObject());
    for (String kind : outcomes) {
      svc.query("INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params,"
          + " variant) VALUES ($1, $2, $3, $4, $5, now(), '{}', $6)", UUID.randomUUID(), id, user, loop, kind, variant);
    }
    return id;
  }

  /** The later half of the fixture first: the earlier rows then arrive out of order and relink the chains. */
  static void laterRows() {
    decision(loopA, "u1", "11:20", "a", "practice_completed", "selected", false, "shown", "invite_sent", "joined", "fvm_reached");
    decision(loopA, "u2", "10:05", "b", "session_ended", "selected", false, "shown");
    decision(loopA, "u3", "12:59", "b", "practice_completed", "selected", false);
    decision(loopA, "u4", "13:10", "a", "session_ended", "selected", false, "shown", "invite_sent");
    decision(loopA, "u5", "13:15", "a", "practice_completed", "selected", false, "shown");
    decision(loopA, "u6", "11:00", "a", "practice_completed", "selected", true, "shown");
    decision(loopA, "u7", "12:10", null, "practice_completed", "holdout", false);
    decision(null, "u9", "11:00", null, "practice_completed", "no_eligible_loop", false);
    decision(loopB, "u1", "11:30", null, "diagnostic_completed", "selected", false, "shown");
  }

  static void earlierRows() {
    decision(loopA, "u1", "09:45", "a", "practice_completed", "selected", false, "shown", "invite_sent", "invite_sent", "joined");
    decision(loopA, "u2", "09:10", "a", "practice_completed", "selected", false, "shown", "joined");
    decision(loopA, "u7", "10:30", null, "practice_completed", "holdout", false, "joined");
    decision(loopA, "u8", "09:50", null, "session_ended", "holdout", false);
  }

  static void fixture() {
    laterRows();
    report(FROM, TO, null); // folds the later rows into the rollups before the earlier ones arrive
    earlierRows();
  }

  static JsonObject report(String from, String to, String groupBy) {
    JsonObject params = new JsonObject().put("from", from).put("to", to);
    if (groupBy != null) {
      params.put("group_by", groupBy);
    }
    JsonObject response = svc.rpc("loop_report", params);
    assertNotNull(response.getJsonObject("result"), response.encode());
    return response.getJsonObject("result");
  }

  static JsonObject row(JsonArray rows, String loop, String key, String value) {
    return rows.stream().map(JsonObject.class::cast)
        .filter(r -> loop.equals(r.getString("loop")) && (key == null || java.util.Objects.equals(value, r.getString(key))))
        .findFirst().orElseThrow(() -> new AssertionError("no row " + loop + " " + value + " in " + rows.encodePrettily()));
  }

  static void assertCounts(JsonObject row, long selections, long learners, long exposed, long shown, long invites,
      long joined, long fvm) {
    assertEquals(List.of(selections, learners, exposed, shown, invites, joined, fvm), List.of(row.getLong("selections"),
        row.getLong("learners_selected"), row.getLong("learners_exposed"), row.getLong("shown"), row.getLong("invite_sent"),
        row.getLong("joined"), row.getLong("fvm_reached")), row.encodePrettily());
  }

  static void assertHoldout(JsonObject row, long decisions, long learners, long joined) {
    JsonObject holdout = row.getJsonObject("holdout");
    assertEquals(List.of(decisions, learners, joined), List.of(holdout.getLong("decisions"), holdout.getLong("learners"),
        holdout.getLong("joined")), row.encodePrettily());
  }

  @Test
  void perLoopFiguresMatchTheHandCount() {
    fixture();
    JsonObject result = report(FROM, TO, null);
    assertEquals("loop", result.getString("group_by"));
    assertEquals(true, result.getBoolean("complete"));
    JsonArray rows = result.getJsonArray("rows");
    assertEquals(2, rows.size(), rows.encodePrettily());
    // A: d1-d5; learners u1 u2 u3 u4; exposed u1 u2 u4 (u1 twice, in an edge and a whole hour); shown d1 d2 d3 d5;
    // invites 2 + 1 + 1; joins d1 d2; fvm d2.
    JsonObject a = row(rows, "buddy_challenge", null, null);
    assertCounts(a, 5, 4, 3, 4, 4, 2, 1);
    assertHoldout(a, 3, 2, 1); // h1 h2 h3; u7 u8; h1 joined
    // B: b1 only (u1 counts again: learners are distinct per loop).
    assertCounts(row(rows, "results_rally", null, null), 1, 1, 1, 1, 0, 0, 0);
  }

  @Test
  void ratesCarryTheirIntervals() {
    fixture();
    JsonObject a = row(report(FROM, TO, null).getJsonArray("rows"), "buddy_challenge", null, null);
    JsonObject rates = a.getJsonObject("rates");
    // shown 4/5 (Wilson): centre (0.8 + 0.384146) / 1.768292 = 0.669655, half 1.108389 · √(0.032 + 0.038415) = 0.294121
    assertRate(rates.getJsonObject("shown"), 4, 5, 0.8, 0.375535, 0.963776);
    // exposed 3/4: centre (0.75 + 0.480182) / 1.960365 = 0.627527; half 0.999802 · √(0.046875 + 0.060023) = 0.326885
    assertRate(rates.getJsonObject("exposed"), 3, 4, 0.75, 0.300642, 0.954413);
    // invites per exposed learner 4/3 (Poisson): exp(z/√4) = 2.664408 → [0.500424, 3.552544]
    assertRate(rates.getJsonObject("invite_sent"), 4, 3, 4.0 / 3, 0.500424, 3.552544);
    // joins per invite 2/4 (Wilson): centre 0.5, half 0.661944 · √(0.0625 + 0.060023) = 0.349961
    assertRate(rates.getJsonObject("joined"), 2, 4, 0.5, 0.150039, 0.849961);
    // K = 4/3 · 2/4 = 2/3; Poisson on the 2 joins: exp(z/√2) = 3.998438 → [0.166732, 2.665625]
    assertInterval(a.getJsonObject("k_factor"), 2.0 / 3, 0.166732, 2.665625);
    // lift: 2 joins / 4 learners − 1 join / 2 held-out learners = 0; se √(2/16 + 1/4) = 0.612372 → ± 1.200228
    assertInterval(a.getJsonObject("lift"), 0.0, -1.200228, 1.200228);
    // the holdout's 1 join per 2 learners: exp(z/√1) = 7.099071 → [0.070432, 3.549536]
    assertInterval(a.getJsonObject("holdout").getJsonObject("joins_per_learner"), 0.5, 0.070432, 3.549536);
    // B has no holdout: no lift.
    JsonObject b = row(report(FROM, TO, null).getJsonArray("rows"), "results_rally", null, null);
    assertNull(b.getJsonObject("lift").getValue("value"));
    assertNull(b.getJsonObject("rates").getJsonObject("joined").getValue("value"), "no invites: no joins per invite");
  }

  @Test
  void perVariantRowsShareTheLoopsHoldout() {
    fixture();
    JsonArray rows = report(FROM, TO, "variant").getJsonArray("rows");
    assertEquals(3, rows.size(), rows.encodePrettily());
    JsonObject a = row(rows, "buddy_challenge", "variant", "a"); // d1 d2 d5: u1 u4
    assertCounts(a, 3, 2, 2, 3, 4, 2, 1);
    assertHoldout(a, 3, 2, 1);
    JsonObject b = row(rows, "buddy_challenge", "variant", "b"); // d3 d4: u2 u3, u2 exposed
    assertCounts(b, 2, 2, 1, 1, 0, 0, 0);
    assertHoldout(b, 3, 2, 1);
    assertCounts(row(rows, "results_rally", "variant", null), 1, 1, 1, 1, 0, 0, 0);
  }

  /** The variants' sample-ratio check: each variant row carries its loop's learners per variant against the weights. */
  @Test
  void perVariantRowsCarryTheLoopsVariantSplitCheck() {
    svc.query("UPDATE viral_loops SET variants = '[{\"key\": \"a\", \"weight\": 1, \"action\": {\"type\": \"x\"}},"
        + " {\"key\": \"b\", \"weight\": 3, \"action\": {\"type\": \"x\"}},"
        + " {\"key\": \"c\", \"weight\": 1, \"action\": {\"type\": \"x\"}}]' WHERE name = 'buddy_challenge'");
    long version = svc.admin("set_loop_active", new JsonObject().put("name", "results_rally").put("active", true))
        .getJsonObject("result").getLong("config_version");
    svc.awaitConfigVersion(version);
    fixture();
    JsonArray rows;
    try {
      rows = report(FROM, TO, "variant").getJsonArray("rows");
    } finally {
      svc.query("UPDATE viral_loops SET variants = '[]' WHERE name = 'buddy_challenge'"); // the database outlives this class
    }
    JsonObject srm = row(rows, "buddy_challenge", "variant", "a").getJsonObject("srm");
    assertEquals(srm, row(rows, "buddy_challenge", "variant", "b").getJsonObject("srm"), "one check per loop");
    assertEquals(new JsonObject().put("a", 2L).put("b", 2L).put("c", 0L), srm.getJsonObject("observed"));
    assertEquals(2.4, srm.getJsonObject("expected").getDouble("b"), 1e-9);
    // scipy.stats.chisquare([2, 2, 0], [0.8, 2.4, 0.8]): statistic 2.6667, p = 0.2636
    assertEquals(0.26360, srm.getDouble("p_value"), 1e-4);
    assertEquals(false, srm.getBoolean("alarm"));
    assertEquals(null, row(rows, "results_rally", "variant", null).getValue("srm"), "no variants, no check");
  }

  @Test
  void perEventTypeRowsCompareWithTheHoldoutOfTheSameEventType() {
    fixture();
    JsonArray rows = report(FROM, TO, "event_type").getJsonArray("rows");
    assertEquals(3, rows.size(), rows.encodePrettily());
    JsonObject practice = row(rows, "buddy_challenge", "event_type", "practice_completed"); // d1 d2 d4
    assertCounts(practice, 3, 2, 1, 2, 3, 2, 1);
    assertHoldout(practice, 2, 1, 1); // h1 h3, u7
    JsonObject session = row(rows, "buddy_challenge", "event_type", "session_ended"); // d3 d5
    assertCounts(session, 2, 2, 2, 2, 1, 0, 0);
    assertHoldout(session, 1, 1, 0); // h2
  }

  @Test
  void theEventBusAddressAnswersTheSameReport() {
    fixture();
    JsonObject params = new JsonObject().put("from", FROM).put("to", TO);
    JsonObject viaBus = TestService.await(svc.vertx.eventBus().<JsonObject>request(
        viralengine.api.OrchestratorApi.LOOP_REPORT, params,
        new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5_000))).body();
    assertEquals(report(FROM, TO, null).getJsonArray("rows"), viaBus.getJsonArray("rows"));
    Throwable refused = TestService.await(svc.vertx.eventBus().request(viralengine.api.OrchestratorApi.LOOP_REPORT,
        new JsonObject().put("from", FROM), new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5_000))
        .transform(done -> io.vertx.core.Future.succeededFuture(done.cause())));
    assertTrue(refused instanceof io.vertx.core.eventbus.ReplyException reply && reply.failureCode() == -32602,
        String.valueOf(refused));
  }

  @Test
  void aRangeWithinOneHourReadsOnlyRawRows() {
    fixture();
    JsonArray rows = report("2026-11-10T11:00:00Z", "2026-11-10T11:30:00Z", null).getJsonArray("rows");
    // d2 at 11:20 (the dry run d8 and the no-loop n1 at 11:00 do not count; b1 at 11:30 is at to)
    assertEquals(1, rows.size(), rows.encodePrettily());
    assertCounts(row(rows, "buddy_challenge", null, null), 1, 1, 1, 1, 1, 1, 1);
  }

  @Test
  void wholeHourRangesReadOnlyTheRollups() {
    fixture();
    JsonArray rows = report("2026-11-10T10:00:00Z", "2026-11-10T12:00:00Z", null).getJsonArray("rows");
    // d2 (u1) and d3 (u2, whose 09:10 decision precedes the range); h1 (u7)
    JsonObject a = row(rows, "buddy_challenge", null, null);
    assertCounts(a, 2, 2, 2, 2, 1, 1, 1);
    assertHoldout(a, 1, 1, 1);
  }

  static String rollups() {
    return svc.query("SELECT (SELECT string_agg(h::text, ';' ORDER BY h::text) FROM report_hourly h)"
        + " || '|' || (SELECT string_agg(c::text, ';' ORDER BY c::text) FROM report_chain c)"
        + " || '|' || (SELECT string_agg(l::text, ';' ORDER BY l::text) FROM report_learners l WHERE learners <> 0)"
        + " || '|' || (SELECT string_agg(d::text, ';' ORDER BY d::text) FROM report_learners_daily d WHERE learners <> 0)")
        .iterator().next().getString(0);
  }

  @Test
  void aRebuildFromScratchMatchesTheIncrementalRollups() {
    fixture();
    report(FROM, TO, null); // the earlier rows folded in out of order, by the incremental refresh
    String incremental = rollups();
    svc.query("SELECT report_rebuild()");
    assertEquals(incremental, rollups());
    assertEquals(0, svc.count("SELECT count(*) FROM report_inbox"));
  }

  @Test
  void aRangeWithoutDecisionsHasNoRows() {
    fixture();
    assertTrue(report("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", null).getJsonArray("rows").isEmpty());
  }

  static void assertInvalid(String field, JsonObject params) {
    JsonObject response = svc.rpc("loop_report", params);
    JsonObject error = response.getJsonObject("error");
    assertNotNull(error, response.encode());
    assertEquals(-32602, error.getInteger("code"), response.encode());
    assertEquals(field, error.getJsonObject("data").getString("field"), response.encode());
  }

  @Test
  void paramsAreValidatedNamingTheField() {
    assertInvalid("from", new JsonObject().put("to", TO));
    assertInvalid("to", new JsonObject().put("from", FROM));
    assertInvalid("from", new JsonObject().put("from", "yesterday").put("to", TO));
    assertInvalid("from", new JsonObject().put("from", "2026-11-10T09:30:00").put("to", TO)); // no offset
    assertInvalid("to", new JsonObject().put("from", FROM).put("to", 1_700_000_000));
    assertInvalid("to", new JsonObject().put("from", TO).put("to", FROM));
    assertInvalid("to", new JsonObject().put("from", FROM).put("to", FROM));
    assertInvalid("to", new JsonObject().put("from", "2025-01-01T00:00:00Z").put("to", "2026-01-03T00:00:00Z"));
    assertInvalid("from", new JsonObject().put("from", "1999-12-31T00:00:00Z").put("to", TO));
    assertInvalid("group_by", new JsonObject().put("from", FROM).put("to", TO).put("group_by", "learner"));
    assertInvalid("limit", new JsonObject().put("from", FROM).put("to", TO).put("limit", 3));
  }

  @Test
  void theLongestRangeIsAccepted() {
    JsonObject result = report("2025-11-10T00:00:00Z", "2026-11-11T00:00:00+00:00", null);
    assertEquals("2026-11-11T00:00:00Z", result.getString("to"));
  }

  static void assertRate(JsonObject rate, long numerator, long denominator, double value, double low, double high) {
    assertEquals(numerator, rate.getLong("numerator"));
    assertEquals(denominator, rate.getLong("denominator"));
    assertInterval(rate, value, low, high);
  }

  static void assertInterval(JsonObject interval, double value, double low, double high) {
    assertInterval(interval, value, low, high, 1e-6);
  }

  static void assertInterval(JsonObject interval, double value, double low, double high, double tolerance) {
    assertEquals(value, interval.getDouble("value"), 1e-9, interval.encode());
    assertEquals(low, interval.getDouble("low"), tolerance, interval.encode());
    assertEquals(high, interval.getDouble("high"), tolerance, interval.encode());
  }
}
