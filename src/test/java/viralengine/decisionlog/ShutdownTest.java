package viralengine.decisionlog;

import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.metrics.LastError;
import viralengine.store.DecisionRecord;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Stopping the decision log: it waits for a flush in flight and then closes; it gives up after
 * shutdown's drain timeout when PostgreSQL hangs, without claiming the row was written; and a stop while
 * replay is under way keeps the rows not yet replayed in the spool, for the next start to replay once.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ShutdownTest {
  ProxiedLog db;

  @AfterEach
  void stop() {
    if (db != null) {
      db.close();
    }
  }

  void start(long flushTimeoutMs, long drainTimeoutMs) {
    db = ProxiedLog.start(64, 1_000, flushTimeoutMs, drainTimeoutMs);
    assertTrue(await(db.log.record(SlowFlushTest.decision("warm"))), "the pool's one connection is open");
    ProxiedLog.awaitDirect(db.svc, db.log); // on a loaded machine the warm-up itself may outlast a short flush timeout
  }

  long rows(UUID decisionId) {
    return db.svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", decisionId);
  }

  @Test
  void stopWaitsForAFlushInFlightAndItsRowLands() {
    start(20_000, 20_000);
    db.proxy.pause();
    DecisionRecord pending = SlowFlushTest.decision("in-flight");
    Future<Boolean> written = db.log.record(pending);
    db.svc.vertx.setTimer(300, id -> db.proxy.restore());
    await(db.svc.vertx.undeploy(db.log.deploymentID()));
    assertTrue(written.isComplete(), "stop completed only after the flush in flight did");
    assertTrue(await(written));
    assertEquals(1, rows(pending.decisionId()));
  }

  @Test
  void stopGivesUpAfterTheDrainTimeoutWhenPostgresHangsWithoutClaimingTheRowWasWritten() {
    start(20_000, 300);
    db.proxy.pause();
    Future<Boolean> written = db.log.record(SlowFlushTest.decision("hung"));
    long started = System.nanoTime();
    await(db.svc.vertx.undeploy(db.log.deploymentID()));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(tookMs >= 300 && tookMs < 10_000, "stop waited for the drain timeout and no longer: " + tookMs + " ms");
    assertFalse(written.isComplete(), "the caller is not told the row was written");
  }

  @Test
  void aStopDuringReplayKeepsTheRestOfTheSpoolForTheNextStartWhichReplaysItOnce() throws Exception {
    start(100, 5_000);
    db.proxy.pause();
    // The flush hangs past its timeout: the row goes to the spool, and replay starts at once; it waits
    // behind the hung flush for the pool's one connection.
    DecisionRecord late = SlowFlushTest.anonymous("late");
    assertTrue(await(db.log.record(late)), "answered from the spool");
    assertEquals(1, db.log.spoolDepth());
    // A decision with a request_id is not spooled: it waits for PostgreSQL's verdict up to the hang limit, then
    // its caller is told to retry.
    DecisionRecord withId = SlowFlushTest.decision("late-id");
    SlowFlushTest.assertRetryLater(SlowFlushTest.failure(db.log.record(withId)));
    assertEquals(1, db.log.spoolDepth(), "a request_id row is never spooled");
    await(db.svc.vertx.undeploy(db.log.deploymentID()));
    try (Spool spool = Spool.open(db.settings.spoolDir())) {
      assertEquals(1, spool.depth(), "the row replay had not finished is still in the spool after the stop");
    }

    db.proxy.restore();
    DecisionLog next = ProxiedLog.deploy(db.svc, db.pool, db.settings, new LastError());
    ProxiedLog.awaitDirect(db.svc, next);
    assertEquals(1, rows(late.decisionId()), "in PostgreSQL once, whether the late flush or the replay put it there");
    // Its write was sent before the stop and commits once PostgreSQL answers: at most that one decision for the id.
    SlowFlushTest.assertAtMostOneDecision(db.svc, next, withId);
    DecisionRecord after = SlowFlushTest.decision("after");
    assertTrue(await(next.record(after)));
    assertEquals(1, rows(after.decisionId()));
  }
}
