package viralengine.lifecycle;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.MutableClock;
import viralengine.support.TestService;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retention by day partitions (issue 28, V14) over real HTTP and PostgreSQL: partitions made ahead, an old day dropped
 * with loop_report unchanged, a day the rollups have not folded in yet kept, retention.days 0 dropping nothing,
 * forget_learner reaching rows in several partitions, and request_id idempotency across partitions. The service's clock
 * is moved; the rows' ids are made on the real clock, so "today" for the rows is the real day.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RetentionTest {
  static final SecureRandom RANDOM = new SecureRandom();
  static final Instant NOW = Instant.now();
  static final LocalDate TODAY = LocalDate.ofInstant(NOW, ZoneOffset.UTC);
  static final MutableClock CLOCK = new MutableClock(NOW);
  static TestService svc;

  @BeforeAll
  static void start() {
    // The report job does not fold on its own here: a test decides when the inbox is folded (loop_report folds first).
    svc = TestService.start(TestService.relaxedTiming().put("report", new JsonObject().put("refresh_ms", 3_600_000))
        .put("retention", new JsonObject().put("days", 400)), CLOCK);
  }

  @AfterAll
  static void stop() {
    ForgetLearnerTest.restoreSeed(svc);
    svc.close();
  }

  @BeforeEach
  void reset() {
    CLOCK.set(NOW);
    ForgetLearnerTest.openBuddyChallenge(svc);
  }

  /** A dropped day is made again (its rows that landed in the default partition move in), for the next test. */
  @AfterEach
  void restore() {
    CLOCK.set(NOW);
    TestService.await(svc.service.retention().runOnce());
  }

  static JsonObject result(JsonObject response) {
    assertNotNull(response.getJsonObject("result"), response.encode());
    return response.getJsonObject("result");
  }

  static String decide(String user, String requestId) {
    JsonObject params = new JsonObject().put("user_id", user).put("event_type", "practice_completed")
        .put("context", new JsonObject().put("school", "Maple-" + user));
    if (requestId != null) {
      params.put("request_id", requestId);
    }
    return result(svc.rpc("trigger_event", params)).getString("decision_id");
  }

  /** Decisions of three learners, with shown, invite and join outcomes: every count of the report moves. */
  static void traffic() {
    for (int i = 0; i < 9; i++) {
      String decision = decide("learner-" + (i % 3), null);
      result(svc.rpc("record_outcome", new JsonObject().put("decision_id", decision).put("outcome", "shown")));
      if (i % 2 == 0) {
        result(svc.rpc("record_outcome", new JsonObject().put("decision_id", decision).put("outcome", "joined")
            .put("referred_user_id", "friend-" + i)));
      }
    }
  }

  /** Whole hours around now: they come from the rollups, before and after the raw rows go. */
  static JsonObject report() {
    Instant hour = NOW.truncatedTo(ChronoUnit.HOURS);
    return result(svc.rpc("loop_report", new JsonObject().put("from", hour.minus(1, ChronoUnit.DAYS).toString())
        .put("to", hour.plus(2, ChronoUnit.HOURS).toString())));
  }

  static Retention.Round runAt(Instant at) {
    CLOCK.set(at);
    return TestService.await(svc.service.retention().runOnce());
  }

  static Set<LocalDate> days(String table) {
    Set<LocalDate> out = new HashSet<>();
    for (Row row : svc.query("SELECT day FROM log_partitions() WHERE parent = $1", table)) {
      out.add(row.getLocalDate(0));
    }
    return out;
  }

  /** A UUIDv7 made at {@code at}, as store.Ids makes them: it lands in that day's partition. */
  static UUID idAt(Instant at) {
    long msb = (at.toEpochMilli() << 16) | 0x7000L | (RANDOM.nextInt() & 0xFFFL);
    long lsb = 0x8000_0000_0000_0000L | (RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL);
    return new UUID(msb, lsb);
  }

  /** A sample of /metrics, by its exact series text (name and labels); NaN when absent. */
  static double metric(String series) {
    for (String line : svc.get("/metrics").bodyAsString().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return Double.NaN;
  }

  @Test
  void partitionsAreMadeAheadAndRetentionZeroDropsNothing() {
    Retention.Round round = runAt(NOW);
    assertTrue(round.ran());
    for (String table : Retention.PARTITIONED) {
      Set<LocalDate> days = days(table);
      for (int n = 0; n <= Retention.AHEAD_DAYS; n++) {
        assertTrue(days.contains(TODAY.plusDays(n)), table + " has no partition for " + TODAY.plusDays(n) + ": " + days);
      }
    }
    // A day later, one more day ahead.
    assertTrue(runAt(NOW.plus(Duration.ofDays(1))).created() >= Retention.PARTITIONED.size());
    assertTrue(days("agent_decisions").contains(TODAY.plusDays(Retention.AHEAD_DAYS + 1)));

    decide("kept-forever", null);
    svc.query("SELECT report_refresh(100000)");
    Instant far = NOW.plus(Duration.ofDays(5000));
    Retention keepForever = new Retention(svc.vertx, svc.sql, 0, java.time.Clock.fixed(far, ZoneOffset.UTC),
        new SimpleMeterRegistry());
    Retention.Round none = TestService.await(keepForever.runOnce());
    assertTrue(none.dropped().isEmpty(), none.toString());
    assertTrue(days("agent_decisions").contains(TODAY));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE user_id = 'kept-forever'"));
  }

  @Test
  void anOldDayIsDroppedAndLoopReportStillAnswersTheSame() {
    traffic();
    JsonObject before = report();
    assertEquals(0, svc.count("SELECT count(*) FROM report_inbox"));
    long decisions = svc.count("SELECT count(*) FROM agent_decisions");
    assertTrue(decisions >= 9);
    long exposures = svc.count("SELECT count(*) FROM loop_exposures");
    long outcomes = svc.count("SELECT count(*) FROM loop_outcomes");
    assertTrue(exposures > 0 && outcomes > 0, exposures + " exposures, " + outcomes + " outcomes");

    String droppedSeries = "viral_retention_rows_dropped_total{table=\"agent_decisions\"}";
    double droppedBefore = metric(droppedSeries);
    String outcomesSeries = "viral_retention_rows_dropped_total{table=\"loop_outcomes\"}";
    double outcomesBefore = metric(outcomesSeries);
    Retention.Round round = runAt(NOW.plus(Duration.ofDays(401)));
    assertTrue(round.dropped().contains(TODAY), round.toString());
    assertEquals(decisions, round.rows().get("agent_decisions"));
    // Exposures and outcomes are not partitioned (V14): they go with their decisions' day, by a ranged delete.
    assertEquals(exposures, round.rows().get("loop_exposures"));
    assertEquals(outcomes, round.rows().get("loop_outcomes"));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures"));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_outcomes"));
    assertFalse(days("agent_decisions").contains(TODAY));
    assertTrue(days("agent_decisions").contains(TODAY.plusDays(401 + Retention.AHEAD_DAYS)));
    assertEquals(before, report());
    assertEquals(decisions, metric(droppedSeries) - droppedBefore, 0.0);
    assertEquals(outcomes, metric(outcomesSeries) - outcomesBefore, 0.0);
    assertEquals(days("viral_events").size(), metric("viral_partitions{table=\"viral_events\"}"), 0.0);
    LocalDate oldest = days("viral_events").stream().min(LocalDate::compareTo).orElseThrow();
    assertEquals(oldest.atStartOfDay(ZoneOffset.UTC).toEpochSecond(),
        metric("viral_partitions_oldest_start_seconds{table=\"viral_events\"}"), 0.0);
    assertEquals(NOW.plus(Duration.ofDays(401)).getEpochSecond(),
        metric("viral_retention_last_success_timestamp_seconds"), 1.0);
    assertEquals(0, metric("viral_retention_failures_total"));
  }

  @Test
  void aRoundAskedForAfterTheClockMovedReadsTheNewClock() {
    decide("late-round", null);
    svc.query("SELECT report_refresh(100000)");
    io.vertx.core.Future<Retention.Round> inFlight = svc.service.retention().runOnce();
    CLOCK.set(NOW.plus(Duration.ofDays(401)));
    Retention.Round later = TestService.await(svc.service.retention().runOnce());
    assertFalse(TestService.await(inFlight).dropped().contains(TODAY));
    assertTrue(later.dropped().contains(TODAY), later.toString());
  }

  @Test
  void aDayWithRowsNotYetFoldedIntoTheRollupsIsKept() {
    traffic();
    assertTrue(svc.count("SELECT count(*) FROM report_inbox") > 0);
    long decisions = svc.count("SELECT count(*) FROM agent_decisions");
    long outcomes = svc.count("SELECT count(*) FROM loop_outcomes");

    Retention.Round held = runAt(NOW.plus(Duration.ofDays(401)));
    assertTrue(held.held().contains(TODAY), held.toString());
    assertFalse(held.dropped().contains(TODAY), held.toString());
    assertEquals(decisions, svc.count("SELECT count(*) FROM agent_decisions"));
    assertEquals(outcomes, svc.count("SELECT count(*) FROM loop_outcomes"));
    assertTrue(days("agent_decisions").contains(TODAY));

    JsonObject before = report(); // folds the inbox first
    Retention.Round dropped = runAt(NOW.plus(Duration.ofDays(401)));
    assertTrue(dropped.dropped().contains(TODAY), dropped.toString());
    assertEquals(before, report());
  }

  @Test
  void forgetLearnerReachesEveryPartition() {
    String child = "child-parted-" + RANDOM.nextInt(1_000_000);
    String secret = "Secret-School-" + RANDOM.nextInt(1_000_000);
    decide(child, null);
    // Rows of the same learner in two earlier days' partitions (and the default partition: a v4 id).
    for (Instant at : List.of(NOW.minus(Duration.ofDays(2)), NOW.minus(Duration.ofDays(3)))) {
      LocalDate day = LocalDate.ofInstant(at, ZoneOffset.UTC);
      svc.query("SELECT log_partition_create(t, $1::date) FROM log_tables() t", day);
      insertHistory(idAt(at), child, secret, at);
    }
    insertHistory(UUID.randomUUID(), child, secret, NOW);
    // Two days' partitions and the default, besides today's.
    assertEquals(4, svc.count("SELECT count(DISTINCT tableoid) FROM agent_decisions WHERE user_id = $1", child));

    result(svc.admin("forget_learner", new JsonObject().put("user_id", child).put("request_id", "erasure-" + RANDOM.nextInt(1_000_000))));
    assertEquals(Map.of(), ForgetLearnerTest.mentions(svc, child));
    assertEquals(Map.of(), ForgetLearnerTest.mentions(svc, secret));
  }

  /** A decision, its event, exposure and outcome, with context naming the learner's school, in id's partition. */
  static void insertHistory(UUID decision, String user, String secret, Instant at) {
    JsonObject context = new JsonObject().put("school", secret);
    svc.query("INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success,"
        + " created_at, user_id, event_type, outcome, event_id) SELECT $1, 'orchestrator', 'seeded', $2, id, 1, true, $3,"
        + " $4, 'practice_completed', 'selected', $1 FROM viral_loops WHERE name = 'buddy_challenge'", decision,
        new JsonObject().put("user_id", user).put("event_type", "practice_completed").put("context", context),
        at.atOffset(ZoneOffset.UTC), user);
    svc.query("INSERT INTO viral_events (event_id, event_type, user_id, occurred_at, received_at, context)"
        + " VALUES ($1, 'practice_completed', $2, $3, $3, $4)", decision, user, at.atOffset(ZoneOffset.UTC), context);
    svc.query("INSERT INTO loop_exposures (user_id, loop_id, decision_id, fired_at) SELECT $1, id, $2, $3"
        + " FROM viral_loops WHERE name = 'buddy_challenge'", user, decision, at.atOffset(ZoneOffset.UTC));
    svc.query("INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, context,"
        + " input_params) SELECT $1, $2, $3, id, 'shown', $4, $5, $6 FROM viral_loops WHERE name = 'buddy_challenge'",
        UUID.randomUUID(), decision, user, at.atOffset(ZoneOffset.UTC), context, new JsonObject().put("context", context));
  }

  @Test
  void aRequestIdDecidedInOneDayCannotBeDecidedAgainInAnother() {
    String requestId = "once-" + RANDOM.nextInt(1_000_000);
    String first = decide("idem-learner", requestId);
    // The same request_id written straight into other days' partitions (earlier, later, the default) goes nowhere.
    for (UUID other : List.of(idAt(NOW.minus(Duration.ofDays(3))), idAt(NOW.plus(Duration.ofDays(2))),
        UUID.randomUUID())) {
      svc.query("SELECT log_partition_create(t, $1::date) FROM log_tables() t",
          LocalDate.ofInstant(NOW.minus(Duration.ofDays(3)), ZoneOffset.UTC));
      assertEquals(0, svc.query("INSERT INTO agent_decisions (decision_id, request_id, agent_id, method, input_params,"
          + " latency_ms, success) VALUES ($1, $2, 'orchestrator', 'trigger_event', '{}', 1, true) ON CONFLICT DO NOTHING"
          + " RETURNING decision_id", other, requestId).size());
    }
    // A statement that must keep its rows (the spool's replay, the fallbacks' upsert) keeps this one without the id.
    UUID kept = idAt(NOW.minus(Duration.ofDays(3)));
    TestService.await(svc.sql.withTransaction(conn -> conn.query("SELECT set_config('viral.request_id_taken',"
        + " 'keep_row', true)").execute().compose(v -> conn.preparedQuery("INSERT INTO agent_decisions (decision_id,"
        + " request_id, agent_id, method, input_params, features_used, latency_ms, success) VALUES ($1, $2,"
        + " 'orchestrator', 'trigger_event', '{}', '{}', 1, true)").execute(io.vertx.sqlclient.Tuple.of(kept, requestId)))));
    Row keptRow = svc.query("SELECT request_id, features_used FROM agent_decisions WHERE decision_id = $1", kept)
        .iterator().next();
    assertEquals(null, keptRow.getString("request_id"));
    assertEquals(requestId, ((JsonObject) keptRow.getValue("features_used")).getString("request_id"));
    assertEquals(first, decide("idem-learner", requestId));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1", requestId));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE request_id = $1", requestId));

    // An outcome's request_id: once (loop_outcomes, unpartitioned, keeps its unique index).
    JsonObject shown = new JsonObject().put("decision_id", first).put("outcome", "shown").put("request_id", "o-" + requestId);
    String outcome = result(svc.rpc("record_outcome", shown)).getString("outcome_id");
    assertEquals(outcome, result(svc.rpc("record_outcome", shown)).getString("outcome_id"));
    assertEquals(0, svc.query("INSERT INTO loop_outcomes (outcome_id, request_id, decision_id, user_id, outcome,"
        + " occurred_at, input_params) VALUES ($1, $2, $3, 'x', 'shown', now(), '{}') ON CONFLICT DO NOTHING"
        + " RETURNING outcome_id", UUID.randomUUID(), "o-" + requestId, idAt(NOW.minus(Duration.ofDays(3)))).size());

    // The claims go with their day: once it is dropped, the request_id is free again, as if never used.
    svc.query("SELECT report_refresh(100000)");
    runAt(NOW.plus(Duration.ofDays(401)));
    assertEquals(0, svc.count("SELECT count(*) FROM request_claims WHERE request_id = $1", requestId));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_outcomes WHERE request_id = $1", "o-" + requestId));
  }
}
