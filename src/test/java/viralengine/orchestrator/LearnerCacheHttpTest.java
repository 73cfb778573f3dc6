package viralengine.orchestrator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.MutableClock;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static viralengine.orchestrator.DecisionsHttpTest.activate;
import static viralengine.orchestrator.DecisionsHttpTest.result;

/**
 * The learner state the orchestrator keeps between decisions (RecentLearners), over real HTTP against the real
 * PostgreSQL. "Another process" is played by SQL that writes what another instance's service would write: a
 * selection with its guard, or a profile write, each advancing learners.selection_seq.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LearnerCacheHttpTest {
  static final Instant START = Instant.parse("2026-12-07T18:00:00Z");
  static final MutableClock CLOCK = new MutableClock(START);
  static final Duration TTL = Duration.ofMinutes(10);
  static TestService svc;

  @BeforeAll
  static void start() {
    JsonObject config = TestService.relaxedTiming();
    config.getJsonObject("orchestrator").put("learner_cache_ttl_ms", TTL.toMillis());
    svc = TestService.start(config, CLOCK);
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
    CLOCK.set(START);
    activate(svc, "buddy_challenge", 3600);
  }

  static JsonObject decide(String user, boolean dryRun) {
    JsonObject params = new JsonObject().put("user_id", user).put("event_type", "practice_completed");
    if (dryRun) {
      params.put("dry_run", true);
    }
    return result(svc.rpc("select_loop", params));
  }

  static double metric(String name, String label) {
    double sum = 0;
    for (String line : svc.get("/metrics").bodyAsString().split("\n")) {
      if (line.startsWith(name) && line.contains(label)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  static double hits() {
    return metric("viral_learner_cache_total", "result=\"hit\"");
  }

  static double misses() {
    return metric("viral_learner_cache_total", "result=\"miss\"");
  }

  static double stale() {
    return metric("viral_selections_stale_total", "");
  }

  static long exposures(String user) {
    return svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = $1", user);
  }

  /** What another instance writes when it records a selection: the exposure, and the guard's advance. */
  static void selectedElsewhere(String user) {
    svc.query("INSERT INTO learners (user_id, selection_seq) VALUES ($1, 1)"
        + " ON CONFLICT (user_id) DO UPDATE SET selection_seq = learners.selection_seq + 1", user);
    svc.query("INSERT INTO loop_exposures (user_id, loop_id, decision_id, fired_at) SELECT $1, id, gen_random_uuid(), $2"
        + " FROM viral_loops WHERE name = 'buddy_challenge'", user, OffsetDateTime.ofInstant(CLOCK.instant(), ZoneOffset.UTC));
  }

  /** What another instance writes for upsert_learner with growth_opt_out. */
  static void optOutElsewhere(String user, boolean optOut) {
    svc.query("INSERT INTO learners (user_id, growth_opt_out, selection_seq) VALUES ($1, $2, 1)"
        + " ON CONFLICT (user_id) DO UPDATE SET growth_opt_out = $2, selection_seq = learners.selection_seq + 1", user, optOut);
  }

  @Test
  void aLearnersNextDecisionNeedsNoRead() {
    double hits = hits();
    double misses = misses();
    assertEquals("selected", decide("kept-1", false).getString("outcome"));
    JsonObject second = decide("kept-1", false);
    assertEquals("no_eligible_loop", second.getString("outcome"), "the selection just made is in the kept state");
    assertEquals(1, misses() - misses, "the first decision read the learner");
    assertEquals(1, hits() - hits, "the second did not");
    assertEquals(1, exposures("kept-1"));
  }

  @Test
  void aSelectionMadeByAnotherProcessIsCaughtByTheGuard() {
    decide("kept-2", true);
    selectedElsewhere("kept-2");
    double stale = stale();
    JsonObject decision = decide("kept-2", false);
    assertEquals("no_eligible_loop", decision.getString("outcome"), "cooling down after the other process's selection");
    assertEquals(1, stale() - stale, "the kept state failed the guard once, then the learner was read again");
    assertEquals(1, exposures("kept-2"));
  }

  @Test
  void anOptOutWrittenByAnotherProcessStopsTheNextSelection() {
    decide("kept-3", true);
    optOutElsewhere("kept-3", true);
    assertEquals("opted_out", decide("kept-3", false).getString("outcome"));
    assertEquals(0, exposures("kept-3"));
  }

  @Test
  void aProfileWrittenHereIsSeenByTheNextDecision() {
    decide("kept-4", true);
    result(svc.rpc("upsert_learner", new JsonObject().put("user_id", "kept-4").put("growth_opt_out", true)));
    double stale = stale();
    assertEquals("opted_out", decide("kept-4", true).getString("outcome"), "a dry run has no guard: the forget did it");
    assertEquals(0, stale() - stale);
  }

  @Test
  void aDismissalRecordedHereStartsItsCooldownAtOnce() {
    svc.query("UPDATE viral_loops SET active = false");
    DecisionsHttpTest.awaitActiveLoops(svc, 0);
    svc.query("UPDATE viral_loops SET dismiss_cooldown_seconds = 86400 WHERE name = 'buddy_challenge'");
    activate(svc, "buddy_challenge", 0);
    JsonObject first = decide("kept-5", false);
    assertEquals("selected", first.getString("outcome"));
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", first.getString("decision_id"))
        .put("outcome", "dismissed")));
    CLOCK.set(START.plusSeconds(60));
    double stale = stale();
    JsonObject next = decide("kept-5", false);
    assertEquals("no_eligible_loop", next.getString("outcome"), next.encode());
    assertEquals(0, stale() - stale, "the dismissal was forgotten here, not caught by the guard");
  }

  @Test
  void anUnguardedAnswerIsStaleForAtMostTheTtl() {
    optOutElsewhere("kept-6", true);
    assertEquals("opted_out", decide("kept-6", false).getString("outcome"));
    optOutElsewhere("kept-6", false);
    assertEquals("opted_out", decide("kept-6", false).getString("outcome"), "within the ttl the kept profile answers");
    CLOCK.set(START.plus(TTL));
    assertEquals("selected", decide("kept-6", false).getString("outcome"), "past it the learner is read again");
  }
}
