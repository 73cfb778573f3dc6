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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue #23 (a): retries of request_ids already committed, and evicted from an idempotency cache of 8, arrive while a
 * psql-like session holds {@code LOCK TABLE agent_decisions IN ACCESS EXCLUSIVE MODE}. The write of the retry's new
 * decision times out (spool.flush_timeout_ms=100), the spool answers, and the spool cannot know that PostgreSQL
 * already holds the request_id. Each retry must get the original decision_id (or a retriable -32003), and PostgreSQL
 * must end with one row per request_id.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommittedRetriesDuringLockTest {
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
  void retriesOfCommittedRequestIdsDuringALockGetTheOriginalDecisionAndWriteNoSecondRow() throws Exception {
    IdempotencyLedger ledger = new IdempotencyLedger("a-committed");
    List<String> ids = ledger.newIds(24);
    ledger.phase("first calls");
    // Committed first, PostgreSQL healthy: every one a decision, in PostgreSQL.
    ledger.sendRepeatedly(ids, 1, 0, svc.port);
    assertEquals(ids.size(), ledger.results(), "every first call was decided: " + ledger.tally());
    IdempotencyLedger.awaitDrained(60, svc.port);

    // Retries during locks of 0.8 to 3 s: the cache (8 entries) has long forgotten most of them.
    for (long holdMs : new long[] {2_500, 800, 3_000}) {
      try (TableLock lock = TableLock.agentDecisions(10_000)) {
        ledger.phase("lock " + holdMs + " ms");
        ledger.sendRepeatedly(ids, 2, 300, svc.port);
        lock.releaseAfter(holdMs);
      }
      IdempotencyLedger.awaitDrained(90, svc.port);
    }

    ledger.phase("healthy");
    // Retries of everything once PostgreSQL is itself again: whatever it holds now is what a caller will be told.
    ledger.sendRepeatedly(ids, 1, 0, svc.port);
    IdempotencyLedger.awaitDrained(60, svc.port);
    ledger.assertIdempotent();
  }
}
