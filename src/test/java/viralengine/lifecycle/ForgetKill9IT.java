package viralengine.lifecycle;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.Calls;
import viralengine.support.ServiceProcess;
import viralengine.support.TableLock;
import viralengine.support.TestService;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28, on the real JAR: an erasure is under way (its transaction waits behind a psql-like session's lock on
 * {@code learners}, after rewriting the other tables) when the process is killed with SIGKILL. PostgreSQL rolls that
 * transaction back; the request was recorded as pending before it began, so the next start finishes it, with nobody
 * calling again.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ForgetKill9IT {
  static final String CHILD = "kill9-child-81e2";

  static long rows(String sql) throws Exception {
    return ServiceProcess.rows(sql);
  }

  static void await(String what, long seconds, java.util.concurrent.Callable<Boolean> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!done.call()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(50);
    }
  }

  @Test
  void anErasureKilledMidwayIsFinishedByTheNextStart() throws Exception {
    Map<String, String> env = Map.of("SPOOL_DIR", TestService.newSpoolDir());
    try (ServiceProcess first = ServiceProcess.start("issue28-forget-kill9-first-it", env)) {
      first.awaitReady(60);
      for (int i = 0; i < 3; i++) {
        Calls.Call call = Calls.call(first, "trigger_event", new JsonObject().put("user_id", CHILD)
            .put("event_type", "practice_completed").put("context", new JsonObject().put("note", "kill9-context")));
        assertEquals(200, call.status(), call.toString());
      }
      Calls.call(first, "upsert_learner", new JsonObject().put("user_id", CHILD).put("persona", "student"));
      await("the decisions are in PostgreSQL", 30,
          () -> rows("SELECT count(*) FROM agent_decisions WHERE user_id = '" + CHILD + "'") == 3);

      try (Connection psql = TableLock.connect()) {
        psql.setAutoCommit(false);
        try (Statement st = psql.createStatement()) {
          st.execute("LOCK TABLE learners IN ACCESS EXCLUSIVE MODE");
        }
        HttpRequest forget = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first.port + "/mcp/admin/forget_learner"))
            .header("content-type", "application/json").timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("jsonrpc", "2.0").put("id", 1)
                .put("method", "forget_learner").put("params", new JsonObject().put("user_id", CHILD)
                    .put("request_id", "kill9-erasure").put("reason", "parent request")).encode()))
            .build();
        ServiceProcess.HTTP.sendAsync(forget, HttpResponse.BodyHandlers.ofString());
        await("the erasure waits behind the lock, midway", 30, () -> rows("SELECT count(*) FROM pg_stat_activity"
            + " WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM learners%'") == 1);
        assertEquals(1, rows("SELECT count(*) FROM learner_erasures WHERE request_id = 'kill9-erasure'"
            + " AND completed_at IS NULL"), "recorded as pending before it began");

        first.process.destroyForcibly(); // SIGKILL
        assertTrue(first.awaitExit(30));
        assertEquals(137, first.process.exitValue(), "killed by SIGKILL");
        psql.commit();
      }
      await("PostgreSQL rolls the killed transaction back", 30, () -> rows("SELECT count(*) FROM pg_stat_activity"
          + " WHERE query LIKE 'DELETE FROM learners%' AND state <> 'idle'") == 0);
      assertEquals(3, rows("SELECT count(*) FROM agent_decisions WHERE user_id = '" + CHILD + "'"),
          "nothing of the killed erasure stayed: it was one transaction");
    }

    try (ServiceProcess second = ServiceProcess.start("issue28-forget-kill9-second-it", env)) {
      second.awaitReady(60);
      await("the next start finishes the erasure", 60, () -> rows("SELECT count(*) FROM learner_erasures"
          + " WHERE request_id = 'kill9-erasure' AND completed_at IS NOT NULL") == 1);
      for (String table : new String[] {"agent_decisions", "viral_events", "learners", "loop_exposures"}) {
        assertEquals(0, rows("SELECT count(*) FROM " + table + " t WHERE t::text LIKE '%" + CHILD + "%'"), table);
      }
      assertEquals(0, rows("SELECT count(*) FROM viral_events t WHERE t::text LIKE '%kill9-context%'"));
      assertEquals(3, rows("SELECT count(*) FROM agent_decisions WHERE user_id LIKE 'erased:%'"
          + " AND user_id = (SELECT tombstone FROM learner_erasures WHERE request_id = 'kill9-erasure')"));
      Calls.Call again = Calls.call(second, "get_learner", new JsonObject().put("user_id", CHILD));
      assertEquals(null, again.body().getJsonObject("result").getValue("persona"), "get_learner answers defaults");
    }
  }
}
