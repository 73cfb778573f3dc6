package viralengine.orchestrator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static viralengine.support.ServiceProcess.rows;

/**
 * The caps invariant across two service processes (the real JAR, two JVMs) on one database: 50 concurrent
 * select_loop calls for one learner, spread over both, against a one-per-day cap, select exactly once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CapsInvariantIT {
  static final int CALLS = 50;

  static Map<String, String> env() {
    return Map.of("SPOOL_DIR", TestService.newSpoolDir(), "ORCHESTRATOR_LOOPS_REFRESH_MS", "100",
        "ORCHESTRATOR_TIMEOUT_MS", "5000", "SPOOL_FLUSH_TIMEOUT_MS", "2000", "LOG_LEVEL", "WARN");
  }

  @Test
  void fiftyConcurrentSelectionsOverTwoProcessesSelectOnce() throws Exception {
    try (ServiceProcess a = ServiceProcess.start("caps-a-it", env()); ServiceProcess b = ServiceProcess.start("caps-b-it", env())) {
      a.awaitReady();
      b.awaitReady();
      // A hand edit, as an operator might make: no NOTIFY, so the periodic reload (100 ms here) picks it up.
      exec("UPDATE frequency_rules SET max_count = 1 WHERE id = 'global_daily'");
      exec("UPDATE viral_loops SET active = true, triggers = '{}', cooldown_seconds = 0, audience = '{\"requires_parental_consent\": false}',"
          + " targeting = '{}' WHERE name = 'buddy_challenge'");
      awaitOneActiveLoop(a);
      awaitOneActiveLoop(b);
      for (int round = 0; round < 3; round++) {
        String user = "two-processes-" + round;
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
          calls.add(select(i % 2 == 0 ? a : b, user, i));
        }
        int selected = 0;
        for (CompletableFuture<HttpResponse<String>> call : calls) {
          JsonObject result = new JsonObject(call.get(60, TimeUnit.SECONDS).body()).getJsonObject("result");
          assertNotNull(result, "every call is answered with a decision");
          if ("selected".equals(result.getString("outcome"))) {
            selected++;
          }
        }
        assertEquals(1, selected, "round " + round);
        assertEquals(1, rows("SELECT count(*) FROM loop_exposures WHERE user_id = '" + user + "'"));
      }
    } finally {
      exec("UPDATE viral_loops SET active = false");
      exec("UPDATE frequency_rules SET max_count = 3 WHERE id = 'global_daily'");
    }
  }

  static void awaitOneActiveLoop(ServiceProcess service) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (service.health().getInteger("active_loops") != 1) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the service never loaded the activated loop");
      }
      Thread.sleep(20);
    }
  }

  static CompletableFuture<HttpResponse<String>> select(ServiceProcess service, String user, int id) {
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "select_loop")
        .put("params", new JsonObject().put("user_id", user));
    return ServiceProcess.HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port + "/mcp/orchestrator"))
        .header("content-type", "application/json").timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  static void exec(String sql) {
    io.vertx.pgclient.PgConnectOptions db = io.vertx.pgclient.PgConnectOptions.fromUri(viralengine.support.TestDatabase.get().url());
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/"
        + db.getDatabase(), db.getUser(), db.getPassword()); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
