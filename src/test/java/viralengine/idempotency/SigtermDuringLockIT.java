package viralengine.idempotency;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.IdempotencyLedger;
import viralengine.support.IdempotencyLedger.Answer;
import viralengine.support.ServiceProcess;
import viralengine.support.TableLock;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #23 (c), on the real JAR: new request_ids (each sent three times, 30 ms apart) and retries of committed ones
 * arrive while a psql-like session holds {@code LOCK TABLE agent_decisions IN ACCESS EXCLUSIVE MODE}; then SIGTERM with
 * the lock still held (the timed-out INSERTs stay queued in PostgreSQL behind it), the lock goes, a restart on the same
 * spool and database, and retries of everything, first under another lock, then with PostgreSQL healthy. For every
 * request_id: one decision_id across all results, one row, and every answered decision in PostgreSQL.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SigtermDuringLockIT {

  @Test
  void aSigtermDuringALockAndARestartLeaveOneDecisionAndOneRowPerRequestId() throws Exception {
    String spoolDir = TestService.newSpoolDir();
    IdempotencyLedger ledger = new IdempotencyLedger("c-sigterm");
    List<String> committed = ledger.newIds(12);
    try (ServiceProcess first = ServiceProcess.start("issue23-sigterm-first-it", IdempotencyLedger.reportEnv(spoolDir))) {
      first.awaitReady(60);
      IdempotencyLedger.warmUp(first.port);
      ledger.phase("first calls");
      ledger.sendRepeatedly(committed, 1, 0, first.port);
      assertEquals(committed.size(), ledger.results(), "every first call was decided: " + ledger.tally());
      IdempotencyLedger.awaitDrained(60, first.port);

      TableLock lock = TableLock.agentDecisions(20_000);
      ledger.phase("lock, then SIGTERM");
      try {
        List<String> fresh = ledger.newIds(16);
        CompletableFuture<List<Answer>> retries = CompletableFuture.supplyAsync(() -> {
          try {
            return ledger.sendRepeatedly(committed, 2, 200, first.port);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        ledger.sendRepeatedly(fresh, 3, 30, first.port);
        retries.get(60, TimeUnit.SECONDS);
        // More new request_ids, still in flight when SIGTERM arrives.
        CompletableFuture<List<Answer>> inFlight = ledger.sendAll(first.port, ledger.newIds(8));
        Thread.sleep(50);
        first.process.destroy(); // SIGTERM, the lock still held
        // As in the report, the lock is held 0.8 to 3 s at a time: it goes a little after the SIGTERM (today the
        // drain does not end while it is held).
        lock.releaseAfter(Math.max(3_000, lock.heldMillis() + 500));
        assertTrue(first.awaitExit(60), "the service exits after SIGTERM");
        inFlight.get(60, TimeUnit.SECONDS);
      } finally {
        lock.release(); // the INSERTs the first process left queued behind it may now run
      }
    }

    try (ServiceProcess second = ServiceProcess.start("issue23-sigterm-second-it", IdempotencyLedger.reportEnv(spoolDir))) {
      second.awaitReady(60);
      IdempotencyLedger.warmUp(second.port);
      // Retries of everything: first while PostgreSQL is slow again, then once it is itself.
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
