package viralengine.idempotency;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.IdempotencyLedger;
import viralengine.support.ServiceProcess;
import viralengine.support.TableLock;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue #23 (d), on the real JAR: two processes share one database (each with its own spool, as two instances behind a
 * load balancer). While a psql-like session holds {@code LOCK TABLE agent_decisions IN ACCESS EXCLUSIVE MODE}, retries
 * of committed request_ids, and new request_ids sent twice, land on both processes in turn, 30 ms apart. Neither
 * process can see the other's spool; only PostgreSQL knows what was decided. For every request_id: one decision_id
 * across all results from both processes, one row, and every answered decision in PostgreSQL once both have drained.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TwoProcessesDuringLockIT {

  @Test
  void retriesLandingOnTwoProcessesDuringALockGetOneDecisionAndLeaveOneRow() throws Exception {
    IdempotencyLedger ledger = new IdempotencyLedger("d-two");
    try (ServiceProcess a = ServiceProcess.start("issue23-two-a-it", IdempotencyLedger.reportEnv(TestService.newSpoolDir()));
         ServiceProcess b = ServiceProcess.start("issue23-two-b-it", IdempotencyLedger.reportEnv(TestService.newSpoolDir()))) {
      a.awaitReady(60);
      IdempotencyLedger.warmUp(a.port);
      b.awaitReady(60);
      IdempotencyLedger.warmUp(b.port);
      List<String> committed = ledger.newIds(16);
      ledger.phase("first calls");
      // Committed first, half through each process.
      ledger.sendRepeatedly(committed.subList(0, 8), 1, 0, a.port);
      ledger.sendRepeatedly(committed.subList(8, 16), 1, 0, b.port);
      assertEquals(committed.size(), ledger.results(), "every first call was decided: " + ledger.tally());
      IdempotencyLedger.awaitDrained(60, a.port, b.port);

      for (long holdMs : new long[] {2_500, 1_000}) {
        try (TableLock lock = TableLock.agentDecisions(10_000)) {
          ledger.phase("lock " + holdMs + " ms");
          // Retries of the committed request_ids, on one process then the other, 30 ms apart.
          ledger.sendRepeatedly(committed, 2, 30, a.port, b.port);
          ledger.sendRepeatedly(committed, 2, 30, b.port, a.port);
          // New request_ids whose first write is in flight on one process when the retry lands on the other.
          ledger.sendRepeatedly(ledger.newIds(12), 3, 30, a.port, b.port);
          lock.releaseAfter(holdMs);
        }
        IdempotencyLedger.awaitDrained(90, a.port, b.port);
      }

      // Retries of everything on both, PostgreSQL itself again.
      ledger.phase("healthy");
      ledger.sendRepeatedly(ledger.allIds(), 2, 100, a.port, b.port);
      IdempotencyLedger.awaitDrained(60, a.port, b.port);
      ledger.assertIdempotent();
    }
  }
}
