package viralengine.idempotency;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.IdempotencyLedger;
import viralengine.support.PgProxy;
import viralengine.support.ServiceProcess;
import viralengine.support.TableLock;
import viralengine.support.TestService;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #23 (e), on the real JAR: PostgreSQL is cut (a {@link PgProxy}) so decisions go to the spool; new request_ids
 * (each sent three times, 30 ms apart) and retries of request_ids committed before the cut arrive meanwhile; then
 * kill -9 with rows still spooled, a restart on the same spool while PostgreSQL is still cut, the cut healed, and
 * retries of everything, first while a psql-like session holds {@code LOCK TABLE agent_decisions IN ACCESS EXCLUSIVE
 * MODE}, then with PostgreSQL healthy. For every request_id: one decision_id across all results, one row, and every
 * answered decision in PostgreSQL once the spool has drained.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class Kill9WhileSpooledIT {
  static Vertx proxyVertx;
  static PgProxy proxy;

  @BeforeAll
  static void startProxy() {
    proxyVertx = Vertx.vertx();
    proxy = PgProxy.start(proxyVertx);
  }

  /** A test that fails with the proxy cut must not leave the next one without a database. */
  @AfterEach
  void healProxy() {
    proxy.restore();
  }

  @AfterAll
  static void stopProxy() {
    proxy.close();
    TestService.await(proxyVertx.close());
  }

  static Map<String, String> env(String spoolDir) {
    Map<String, String> env = IdempotencyLedger.reportEnv(spoolDir);
    env.put("DATABASE_URL", proxy.url());
    return env;
  }

  @Test
  void aKillMinus9WithRowsSpooledAndARestartLeaveOneDecisionAndOneRowPerRequestId() throws Exception {
    String spoolDir = TestService.newSpoolDir();
    IdempotencyLedger ledger = new IdempotencyLedger("e-kill9");
    List<String> committed = ledger.newIds(12);
    try (ServiceProcess first = ServiceProcess.start("issue23-kill9-first-it", env(spoolDir))) {
      first.awaitReady(60);
      IdempotencyLedger.warmUp(first.port);
      ledger.phase("first calls");
      ledger.sendRepeatedly(committed, 1, 0, first.port);
      assertEquals(committed.size(), ledger.results(), "every first call was decided: " + ledger.tally());
      IdempotencyLedger.awaitDrained(60, first.port);

      proxy.cut();
      ledger.phase("cut");
      ledger.sendRepeatedly(ledger.newIds(16), 3, 30, first.port);
      ledger.sendRepeatedly(committed, 2, 200, first.port);
      // Decisions with no request_id spool whatever the service answers the ones with one: rows are spooled at the kill.
      IdempotencyLedger.sendAnonymous(first.port, 8);
      long depth = IdempotencyLedger.health(first.port).getJsonObject("spool").getLong("depth");
      assertTrue(depth > 0, "decisions went to the spool while PostgreSQL was cut (depth " + depth + ")");
      first.process.destroyForcibly(); // SIGKILL
      assertTrue(first.awaitExit(30));
      assertEquals(137, first.process.exitValue(), "killed by SIGKILL");
    }

    try (ServiceProcess second = ServiceProcess.start("issue23-kill9-second-it", env(spoolDir))) {
      Thread.sleep(1_500); // starts while PostgreSQL is still cut
      proxy.restore();
      second.awaitReady(60);
      IdempotencyLedger.warmUp(second.port);
      // Retries of everything: first while PostgreSQL is slow, then once it is itself.
      try (TableLock lock = TableLock.agentDecisions(10_000)) {
        ledger.phase("restarted, lock");
        ledger.sendRepeatedly(ledger.allIds(), 2, 300, second.port);
        lock.releaseAfter(2_000);
      }
      IdempotencyLedger.awaitDrained(90, second.port);
      ledger.phase("restarted, healthy");
      ledger.sendRepeatedly(ledger.allIds(), 1, 0, second.port);
      IdempotencyLedger.awaitDrained(60, second.port);
      ledger.assertIdempotent();
    }
  }
}
