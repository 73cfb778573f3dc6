package viralengine.incentives;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.Calls;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static viralengine.support.ServiceProcess.exec;
import static viralengine.support.ServiceProcess.rows;

/**
 * Two-sided grants across two service processes (the real JAR, two JVMs) on one database: 50 concurrent joined outcomes
 * for one referrer, 25 friends each reported twice (under different request_ids) and spread over both processes, grant
 * the referrer no more than the daily cap and each friend exactly once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JoinRaceIT {
  static final int FRIENDS = 25;

  @Test
  void fiftyConcurrentJoinsOverTwoProcessesNeverPassTheCapNorDoubleAGrant() throws Exception {
    Map<String, String> env = Map.of("SPOOL_DIR", TestService.newSpoolDir(), "AGENTS_BUILTIN", "true", "ORCHESTRATOR_LOOPS_REFRESH_MS", "100",
        "ORCHESTRATOR_TIMEOUT_MS", "5000", "SPOOL_FLUSH_TIMEOUT_MS", "2000", "LOG_LEVEL", "WARN");
    try (ServiceProcess a = ServiceProcess.start("joins-a-it", env); ServiceProcess b = ServiceProcess.start("joins-b-it", env)) {
      a.awaitReady();
      b.awaitReady();
      exec("UPDATE viral_loops SET active = true, triggers = '{}', cooldown_seconds = 0, targeting = '{}',"
          + " audience = '{\"requires_parental_consent\": false}', incentive = '{\"referrer\": \"class_pass\", \"joiner\": \"xp\"}'"
          + " WHERE name = 'buddy_challenge'");
      awaitActive(a);
      awaitActive(b);
      for (int round = 0; round < 2; round++) {
        String referrer = "join-race-" + round;
        Calls.call(a, "upsert_learner", new JsonObject().put("user_id", referrer).put("birth_year", 1990)
            .put("parental_consent", "granted"));
        JsonObject decision = Calls.call(a, "select_loop", new JsonObject().put("user_id", referrer)
            .put("event_type", "practice_completed")).result();
        assertEquals("selected", decision.getString("outcome"), decision.encode());
        List<CompletableFuture<Calls.Call>> calls = new ArrayList<>();
        List<JsonObject> params = new ArrayList<>();
        for (int i = 0; i < 2 * FRIENDS; i++) {
          String friend = referrer + "-friend-" + (i % FRIENDS);
          params.add(new JsonObject().put("decision_id", decision.getString("decision_id")).put("outcome", "joined")
              .put("referred_user_id", friend).put("request_id", referrer + "-" + i));
          calls.add(Calls.send(i % 2 == 0 ? a : b, "record_outcome", params.get(i), null));
        }
        for (int i = 0; i < calls.size(); i++) {
          Calls.Call done = calls.get(i).get(60, TimeUnit.SECONDS);
          // A caller whose call timed out (-32001: the grants were still queued on a loaded machine) retries it, as
          // any caller would: the retry must find the first call's grants, never make new ones.
          for (int attempt = 1; done.result() == null && attempt <= 5; attempt++) {
            done = Calls.call(attempt % 2 == 0 ? a : b, "record_outcome", params.get(i));
          }
          assertNotNull(done.result(), "every outcome is recorded: " + done.summary());
          assertEquals(2, done.result().getJsonArray("rewards").size(), done.result().encode());
        }
        assertEquals(2, rows("SELECT count(*) FROM reward_grants WHERE user_id = '" + referrer + "'"), "class_pass: 2 a day");
        assertEquals(2, rows("SELECT granted FROM reward_daily WHERE user_id = '" + referrer + "'"));
        assertEquals(FRIENDS, rows("SELECT count(*) FROM reward_grants WHERE user_id LIKE '" + referrer + "-friend-%'"));
        assertEquals(FRIENDS, rows("SELECT count(DISTINCT user_id) FROM reward_grants WHERE user_id LIKE '" + referrer + "-friend-%'"),
            "each friend once");
        assertEquals(2L * FRIENDS, rows("SELECT count(*) FROM loop_outcomes WHERE user_id = '" + referrer + "'"));
      }
    } finally {
      exec("UPDATE viral_loops SET active = false, incentive = NULL");
    }
  }

  static void awaitActive(ServiceProcess service) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (service.health().getInteger("active_loops") < 1) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the service never loaded the activated loop");
      }
      Thread.sleep(20);
    }
  }
}
