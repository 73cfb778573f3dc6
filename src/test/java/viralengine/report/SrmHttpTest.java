package viralengine.report;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.orchestrator.DecisionsHttpTest;
import viralengine.support.MutableClock;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sample-ratio check over real HTTP and PostgreSQL: a 20 % holdout fed fairly raises no alarm; a caller that
 * asks with dry_run first and drops two of three held-out learners' real calls (a caller that "retries" them
 * until they would get a loop, and never does) raises it, in loop_report and on the gauge the alert reads.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SrmHttpTest {
  static final int LEARNERS = 500;
  /** The gauges cover whole hours up to the clock's hour: the clock runs two hours ahead so that now is inside. */
  static final MutableClock CLOCK = new MutableClock(Instant.now().plus(Duration.ofHours(2)));
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming()
        .put("experiments", new JsonObject().put("holdout_percent", 20).put("salt", "srm-test"))
        .put("report", new JsonObject().put("gauge_interval_ms", 1_000).put("refresh_ms", 200).put("gauge_window_days", 1)),
        CLOCK);
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
    DecisionsHttpTest.activate(svc, "buddy_challenge", 0);
  }

  static JsonObject select(String user, boolean dryRun) {
    JsonObject response = svc.rpc("select_loop", new JsonObject().put("user_id", user)
        .put("event_type", "practice_completed").put("dry_run", dryRun));
    assertNotNull(response.getJsonObject("result"), response.encode());
    return response.getJsonObject("result");
  }

  /** Every learner once; the skewed caller drops the real call of two in three held-out learners. */
  static int feed(String prefix, boolean skewed) {
    int sent = 0;
    int heldOutSeen = 0;
    for (int i = 0; i < LEARNERS; i++) {
      String user = prefix + i;
      if (skewed && "holdout".equals(select(user, true).getString("outcome")) && heldOutSeen++ % 3 != 0) {
        continue;
      }
      select(user, false);
      sent++;
    }
    return sent;
  }

  /** The loop's row once every sent decision is in the report (the decision log writes behind the answer). */
  static JsonObject row(int sent) {
    Instant now = Instant.now();
    JsonObject params = new JsonObject().put("from", now.minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS).toString())
        .put("to", now.plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS).toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      JsonArray rows = svc.rpc("loop_report", params).getJsonObject("result").getJsonArray("rows");
      JsonObject row = rows.isEmpty() ? null : rows.getJsonObject(0);
      if (row != null && row.getLong("learners_selected") + row.getJsonObject("holdout").getLong("learners") == sent) {
        return row;
      }
      assertTrue(System.nanoTime() < deadline, "the report never counted " + sent + " learners: " + rows.encode());
      TestService.await(svc.vertx.timer(100));
    }
  }

  static double gauge(boolean wantAlarm) {
    String series = "viral_srm_p_value{check=\"holdout\",loop=\"buddy_challenge\"}";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      double p = ReportGaugesTest.value(svc.get("/metrics").bodyAsString(), series);
      if (!Double.isNaN(p) && (p < Srm.ALARM_P) == wantAlarm) {
        return p;
      }
      assertTrue(System.nanoTime() < deadline, series + " never " + (wantAlarm ? "alarmed" : "settled") + ": " + p);
      TestService.await(svc.vertx.timer(200));
    }
  }

  @Test
  void aFairSplitRaisesNoAlarm() {
    JsonObject row = row(feed("fair-", false));
    JsonObject srm = row.getJsonObject("srm");
    long held = srm.getJsonObject("observed").getLong("holdout");
    assertEquals(LEARNERS, held + srm.getJsonObject("observed").getLong("treatment"));
    assertEquals(LEARNERS * 0.2, srm.getJsonObject("expected").getDouble("holdout"), 1e-9);
    assertTrue(held > 60 && held < 140, "about 100 held out: " + srm.encode());
    assertFalse(srm.getBoolean("alarm"), srm.encode());
    assertTrue(srm.getDouble("p_value") >= Srm.ALARM_P, srm.encode());
    gauge(false);
  }

  @Test
  void aCallerThatDropsHeldOutLearnersRaisesTheAlarm() {
    int sent = feed("skew-", true);
    JsonObject srm = row(sent).getJsonObject("srm");
    assertTrue(srm.getBoolean("alarm"), srm.encode());
    assertTrue(srm.getDouble("p_value") < 1e-6, srm.encode());
    assertTrue(srm.getJsonObject("observed").getLong("holdout") < srm.getJsonObject("expected").getDouble("holdout") / 2,
        srm.encode());
    assertTrue(gauge(true) < Srm.ALARM_P);
  }
}
