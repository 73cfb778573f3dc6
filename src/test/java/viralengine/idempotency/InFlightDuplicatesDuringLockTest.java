package viralengine.idempotency;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.IdempotencyLedger;
import viralengine.support.TableLock;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Issue #23 (b): the same request_id sent three times, 30 ms apart, while its first write is still in flight (a
 * psql-like session holds {@code LOCK TABLE agent_decisions IN ACCESS EXCLUSIVE MODE} for 0.8 to 3 s). Each copy is
 * decided afresh (nothing is cached before the first write lands), each write times out into the spool, and when the
 * lock goes the timed-out INSERTs, never cancelled, race the spool's replay for the request_id. Every result must carry
 * one decision_id, PostgreSQL must end with that decision under the request_id and no second row naming it, and a
 * retry afterwards (the cache of 8 long past it) must be told the same decision.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InFlightDuplicatesDuringLockTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = IdempotencyLedger.reportService();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void threeCopiesOfARequestIdWhileItsFirstWriteIsInFlightGetOneDecisionAndOneRow() throws Exception {
    IdempotencyLedger ledger = new IdempotencyLedger("b-inflight");
    for (long holdMs : new long[] {800, 1_500, 3_000, 1_000, 2_000}) {
      List<String> ids = ledger.newIds(12);
      try (TableLock lock = TableLock.agentDecisions(10_000)) {
        ledger.phase("lock " + holdMs + " ms");
        ledger.sendRepeatedly(ids, 3, 30, svc.port);
        lock.releaseAfter(holdMs);
      }
      IdempotencyLedger.awaitDrained(90, svc.port);
    }
    ledger.phase("healthy");
    // Retries of everything once PostgreSQL is itself again: the cache holds 8, so nearly all reach PostgreSQL.
    ledger.sendRepeatedly(ledger.allIds(), 1, 0, svc.port);
    IdempotencyLedger.awaitDrained(60, svc.port);
    ledger.assertIdempotent();
  }
}
