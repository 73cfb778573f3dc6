package viralengine.report;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.MutableClock;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * viral_k_factor{loop} and viral_holdout_lift{loop} on /metrics, computed off the hot path over the last
 * report.gauge_window_days (2 here) of the service's clock; and the alert threshold and spool gauges the alert rules
 * read.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public class ReportGaugesTest {
  static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  static final MutableClock CLOCK = new MutableClock(NOW);
  static TestService svc;

  @BeforeAll
  static void start() {
    JsonObject config = TestService.relaxedTiming().put("report", new JsonObject().put("gauge_interval_ms", 1_000)
        .put("refresh_ms", 200).put("gauge_window_days", 2).put("k_alert_threshold", 0.25));
    svc = TestService.start(config, CLOCK);
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  static void decision(long loop, String user, Duration ago, String outcome, String... outcomes) {
    UUID id = UUID.randomUUID();
    svc.query("INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success,"
        + " created_at, user_id, event_type, outcome) VALUES ($1, 'orchestrator', 'select_loop', '{}', $2, 1, true, $3,"
        + " $4, 'session_ended', $5)", id, loop, OffsetDateTime.ofInstant(NOW.minus(ago), ZoneOffset.UTC), user, outcome);
    for (String kind : outcomes) {
      svc.query("INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params)"
          + " VALUES ($1, $2, $3, $4, $5, now(), '{}')", UUID.randomUUID(), id, user, loop, kind);
    }
  }

  static String metrics() {
    return svc.get("/metrics").bodyAsString();
  }

  public static double value(String body, String series) {
    for (String line : body.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1));
      }
    }
    return Double.NaN;
  }

  @Test
  void theGaugesFollowTheReportOverTheWindow() {
    long loop = svc.query("SELECT id FROM viral_loops WHERE name = 'tutor_spotlight'").iterator().next().getLong(0);
    // In the window: 4 learners exposed, 3 invites, 2 joins: K = 2/4. Holdout: 2 learners, 0 joins: lift = 2/4 - 0.
    decision(loop, "g1", Duration.ofHours(1), "selected", "shown", "invite_sent", "joined");
    decision(loop, "g2", Duration.ofHours(5), "selected", "shown", "invite_sent", "invite_sent", "joined");
    decision(loop, "g3", Duration.ofHours(30), "selected", "shown");
    decision(loop, "g4", Duration.ofHours(47), "selected", "shown");
    decision(loop, "g5", Duration.ofHours(2), "holdout");
    decision(loop, "g6", Duration.ofHours(3), "holdout");
    // Outside the window (3 days ago): would change K if it counted.
    decision(loop, "g7", Duration.ofDays(3), "selected", "shown", "invite_sent", "joined", "joined");
    String k = "viral_k_factor{loop=\"tutor_spotlight\"}";
    String lift = "viral_holdout_lift{loop=\"tutor_spotlight\"}";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    String body = metrics();
    while (!(value(body, k) == 0.5 && value(body, lift) == 0.5)) {
      assertTrue(System.nanoTime() < deadline, "gauges never reached K 0.5 and lift 0.5:\n" + body.lines()
          .filter(l -> l.startsWith("viral_k") || l.startsWith("viral_holdout")).toList());
      TestService.await(svc.vertx.timer(100));
      body = metrics();
    }
    assertEquals(0.25, value(body, "viral_k_factor_alert_threshold"));
    assertEquals(0.0, value(body, "viral_spool_active"));

    // Half an hour on, the window is still the whole hours up to 12:00: a decision in the current hour does not count.
    CLOCK.set(NOW.plus(Duration.ofMinutes(30)));
    decision(loop, "g8", Duration.ofMinutes(-20), "selected", "shown", "joined", "joined");
    // Then one in a whole hour of the window, written after it: K is 2/5 without g8, 4/6 with it.
    decision(loop, "g9", Duration.ofMinutes(90), "selected", "shown");
    body = metrics();
    while (value(body, k) != 0.4 && Math.abs(value(body, k) - 4.0 / 6) > 1e-9) {
      assertTrue(System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(20), "the gauge never counted g9");
      TestService.await(svc.vertx.timer(100));
      body = metrics();
    }
    assertEquals(0.4, value(body, k), "g8, in the current hour, is left to the next hour's gauges");
  }
}
