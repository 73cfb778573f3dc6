package viralengine;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.store.EmbeddedDatabase;
import viralengine.support.ServiceProcess;
import viralengine.support.ServiceProcess.Outcome;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's run command on a machine with no database: the JAR, with no DATABASE_URL, runs its embedded
 * PostgreSQL, serves decisions, and they survive a SIGTERM restart and a kill -9 (whose orphaned postmaster
 * the next start finds and stops).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class EmbeddedDatabaseIT {
  /** Cold start extracts the binaries and runs initdb; on a busy 2-core box that can take a while. */
  static final int READY_SECONDS = 90;

  @Test
  void withoutDatabaseUrlItServesDecisionsThatSurviveARestartAndAKillMinus9() throws Exception {
    Path dir = Path.of("target", "embedded-it-" + UUID.randomUUID().toString().substring(0, 8));
    // A generous SLA and flush timeout: on a busy box the first call after a cold start can pass 150 ms (the
    // breaker's answer, a fresh -32001 each time, would stand in for the decision this test follows), and a
    // flush can pass 100 ms (the spool, which cannot see PostgreSQL's unique request_id, would then accept
    // the repeat as new: a separate, known limit of the spool reported with this change).
    Map<String, String> env = Map.of("DATABASE_EMBEDDED_DIR", dir.toString(), "SHUTDOWN_DRAIN_TIMEOUT_MS", "5000",
        "SPOOL_DIR", dir.resolve("spool").toString(), "ORCHESTRATOR_TIMEOUT_MS", "10000", "SPOOL_FLUSH_TIMEOUT_MS", "10000");
    String requestId = "embedded-" + UUID.randomUUID();

    try {
      restartsAndKills(dir, env, requestId);
    } finally {
      // Whatever failed, leave no postmaster behind: a start stops an orphan, and a close stops the server.
      EmbeddedDatabase.start(dir).close();
    }
  }

  private static void restartsAndKills(Path dir, Map<String, String> env, String requestId) throws Exception {
    JsonObject first;
    long firstPostmaster;
    try (ServiceProcess service = ServiceProcess.startEmbedded("embedded-it-1", env)) {
      service.awaitReady(READY_SECONDS);
      JsonObject health = service.health();
      assertEquals("embedded", health.getJsonObject("database").getString("mode"));
      assertEquals("up", health.getJsonObject("database").getString("status"));
      first = answer(service, requestId);
      firstPostmaster = postmaster(dir);
      assertTrue(service.log().contains("Database: embedded PostgreSQL at 127.0.0.1:"), "one line says which database");
      // initdb's and the postmaster's chatter is DEBUG, so at the default level it is not there at all.
      assertFalse(service.log().contains("io.zonky"), "no embedded-server output at INFO");
      assertTrue(service.awaitLog("Ready on", 30).contains("Ready on http://127.0.0.1:" + service.port + " (embedded PostgreSQL in "),
          "the last line says where to go");

      service.process.destroy(); // SIGTERM: drain, then stop PostgreSQL
      assertTrue(service.awaitExit(30), "exits after the drain");
      assertEquals(0, service.process.exitValue());
      assertTrue(exits(firstPostmaster), "SIGTERM stopped the embedded PostgreSQL too");
    }

    long secondPostmaster;
    try (ServiceProcess service = ServiceProcess.startEmbedded("embedded-it-2", env)) {
      service.awaitReady(READY_SECONDS);
      assertEquals(first, answer(service, requestId), "the decision survived a restart");
      secondPostmaster = postmaster(dir);
      service.process.destroyForcibly(); // kill -9: PostgreSQL is orphaned
      assertTrue(service.awaitExit(10));
      assertTrue(alive(secondPostmaster), "a kill -9 of the JVM leaves its postmaster running");
    }

    try (ServiceProcess service = ServiceProcess.startEmbedded("embedded-it-3", env)) {
      service.awaitReady(READY_SECONDS);
      assertTrue(exits(secondPostmaster), "the next start stopped the orphan");
      assertTrue(service.log().contains("orphaned by an earlier run"), "and said so");
      assertEquals(first, answer(service, requestId), "the decision survived a kill -9");
      service.process.destroy();
      assertTrue(service.awaitExit(30));
    }
  }

  /** The whole answer to one trigger_event: a repeated request_id must get exactly this again. */
  private static JsonObject answer(ServiceProcess service, String requestId) throws Exception {
    Outcome outcome = service.triggerEvent("learner-embedded", requestId).get(30, TimeUnit.SECONDS);
    assertEquals(200, outcome.status(), String.valueOf(outcome.error()));
    assertNotNull(outcome.result(), "a decision, not an error: " + outcome.body());
    return outcome.body();
  }

  private static long postmaster(Path dir) throws Exception {
    return Long.parseLong(Files.readAllLines(dir.resolve("data").resolve("postmaster.pid")).get(0).trim());
  }

  /**
   * pg_ctl stop returns once the postmaster has removed its PID file, a moment before the process is gone
   * and reaped; so wait for its exit, a few seconds at most.
   */
  private static boolean exits(long pid) throws Exception {
    java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty()) {
      return true;
    }
    try {
      process.get().onExit().get(5, TimeUnit.SECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }
}
