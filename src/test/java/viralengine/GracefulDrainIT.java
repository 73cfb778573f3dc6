package viralengine;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestDatabase;
import viralengine.support.TestService;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real JAR as a child process: a burst of requests, SIGTERM in the middle. Requests that were in
 * flight finish, every answered request has its rows, nothing unanswered was recorded, and the exit
 * code is 0.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulDrainIT {
  static final int IN_FLIGHT = 20;
  static final int REQUESTS = 400;
  static final long ORCHESTRATOR_DELAY_MS = 200;

  /** One request's fate: when it started, and the answer if it got one. */
  record Outcome(long startedNanos, int status, JsonObject body, Throwable error) {}

  @Test
  void sigtermDrainsInFlightRequestsAndLosesNoAnsweredDecision() throws Exception {
    int port = TestService.freePort();
    Path log = Path.of("target", "graceful-drain-it.log");
    Process process = startJar(port, log);
    try {
      // HTTP/1.1: the JDK 17 client mishandles HTTP/2 GOAWAY (it fails streams the server still answers).
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
      awaitReady(client, port, process);

      AtomicLong sigtermAt = new AtomicLong(Long.MAX_VALUE);
      Semaphore slots = new Semaphore(IN_FLIGHT);
      List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < REQUESTS && process.isAlive(); i++) {
        slots.acquire();
        outcomes.add(send(client, port, i).whenComplete((o, e) -> slots.release()));
        if (i == REQUESTS / 4) {
          sigtermAt.set(System.nanoTime());
          process.destroy(); // SIGTERM
        }
      }
      CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertTrue(process.waitFor(40, TimeUnit.SECONDS), "the process exits after draining");
      assertEquals(0, process.exitValue(), "a drained SIGTERM exits 0");

      long answered = 0;
      long inFlightAtSigterm = 0;
      for (CompletableFuture<Outcome> future : outcomes) {
        Outcome o = future.get();
        boolean startedWellBefore = sigtermAt.get() - o.startedNanos() > TimeUnit.MILLISECONDS.toNanos(50);
        if (startedWellBefore) {
          inFlightAtSigterm++;
          assertEquals(200, o.status(), "a request in flight at SIGTERM is answered in full: " + o.error());
        }
        if (o.status() >= 500 && o.status() != 503) {
          throw new AssertionError("no 5xx during the drain, got " + o.status());
        }
        if (o.status() == 200 && o.body().containsKey("result")) {
          answered++;
        }
      }
      assertTrue(inFlightAtSigterm >= IN_FLIGHT, "the burst had requests in flight at SIGTERM: " + inFlightAtSigterm);
      assertEquals(answered, rows("SELECT count(*) FROM viral_events WHERE user_id = 'drain-learner'"),
          "every answered event is recorded, and nothing unanswered was");
      assertEquals(answered, rows("SELECT count(*) FROM agent_decisions WHERE input_params->>'user_id' = 'drain-learner'"));
      assertTrue(Files.readString(log).contains("Drained"), "the log reports the drain");
    } finally {
      process.destroyForcibly();
    }
  }

  static Process startJar(int port, Path log) throws Exception {
    String jar = System.getProperty("service.jar", "target/viral-engine.jar");
    assertTrue(new File(jar).isFile(), "the shaded JAR exists at " + jar + " (run mvn verify, which packages first)");
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("PORT", Integer.toString(port));
    builder.environment().put("HTTP_HOST", "127.0.0.1");
    builder.environment().put("DATABASE_URL", TestDatabase.get().url());
    builder.environment().put("ORCHESTRATOR_TEST_DELAY_MS", Long.toString(ORCHESTRATOR_DELAY_MS));
    builder.environment().put("ORCHESTRATOR_TIMEOUT_MS", "10000");
    builder.environment().put("SHUTDOWN_DRAIN_TIMEOUT_MS", "15000");
    return builder.start();
  }

  static void awaitReady(HttpClient client, int port, Process process) throws Exception {
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build();
    for (int i = 0; i < 300 && process.isAlive(); i++) {
      try {
        if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the service did not become ready; see target/graceful-drain-it.log");
  }

  static CompletableFuture<Outcome> send(HttpClient client, int port, int i) {
    long started = System.nanoTime();
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", i).put("method", "trigger_event")
        .put("params", new JsonObject().put("event_type", "practice_completed").put("user_id", "drain-learner")
            .put("request_id", "drain-" + i));
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp/orchestrator/trigger_event"))
        .header("content-type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> response == null
            ? new Outcome(started, -1, null, error)
            : new Outcome(started, response.statusCode(),
                response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body()), null));
  }

  static long rows(String sql) throws Exception {
    io.vertx.pgclient.PgConnectOptions db = io.vertx.pgclient.PgConnectOptions.fromUri(TestDatabase.get().url());
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase(),
        db.getUser(), db.getPassword()); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
