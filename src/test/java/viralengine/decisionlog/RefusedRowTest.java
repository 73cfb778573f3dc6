package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;

import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * PostgreSQL refuses a row for its content (not an outage): the batch it came in is written again row by
 * row, the bad row's caller gets -32603 without internals, the operator sees the reason, the other rows
 * of the batch land once each, and the log keeps writing to PostgreSQL rather than switching to its spool.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RefusedRowTest {
  static ProxiedLog db;

  @BeforeAll
  static void start() {
    db = ProxiedLog.start(64, 1_000, 20_000);
    assertTrue(await(db.log.record(SlowFlushTest.decision("warm"))), "the pool's one connection is open");
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  long rows(UUID decisionId) {
    return db.svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", decisionId);
  }

  @Test
  void aRefusedRowFailsAloneAndTheRestOfItsBatchLands() throws Exception {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    DecisionRecord before = SpoolDamageTest.decision(tag, 0, "practice_completed");
    DecisionRecord bad = SpoolDamageTest.decision(tag, 1, null); // viral_events.event_type is NOT NULL
    DecisionRecord good = SpoolDamageTest.decision(tag, 2, "session_ended");

    // Hold the one connection so the bad row and the good one queue up behind the first flush, as one batch.
    db.proxy.pause();
    Future<Boolean> first = db.log.record(before);
    Future<Boolean> refused = db.log.record(bad);
    Future<Boolean> accepted = db.log.record(good);
    await(db.svc.vertx.timer(200));
    db.proxy.restore();

    assertTrue(await(first));
    assertTrue(await(accepted), "the good row of the refused batch is written on its own");
    Throwable err = await(refused.transform(done -> Future.succeededFuture(done.cause())));
    assertTrue(err instanceof RpcException, "the bad row's caller gets an RpcException, not " + err);
    assertEquals(ErrorCodes.INTERNAL_ERROR, ((RpcException) err).code());
    assertEquals("Internal error: the decision could not be recorded", err.getMessage(), "no internals leak");
    String reported = db.lastError.toJson().getString("message");
    assertTrue(reported.startsWith("decision log row refused: ") && reported.contains("event_type"),
        "the operator sees which column was refused: " + reported);

    assertEquals(1, rows(before.decisionId()));
    assertEquals(1, rows(good.decisionId()));
    assertEquals(0, rows(bad.decisionId()));
    assertEquals(0, db.svc.count("SELECT count(*) FROM viral_events WHERE event_id = $1", bad.event().eventId()));
    assertFalse(db.log.spooling(), "bad data is not an outage: the log still writes to PostgreSQL");
    assertEquals(0, db.log.spoolDepth());
    assertEquals(0, db.log.pendingWrites());
  }

  @Test
  void connectionFailuresAreOutagesAndSqlErrorsAreNot() {
    assertTrue(DecisionLog.isOutage(pg("08006")), "connection failure");
    assertTrue(DecisionLog.isOutage(pg("08001")), "cannot connect");
    assertTrue(DecisionLog.isOutage(pg("57P01")), "admin shutdown");
    assertTrue(DecisionLog.isOutage(pg("57P03")), "cannot connect now");
    assertTrue(DecisionLog.isOutage(pg("53300")), "too many connections");
    assertTrue(DecisionLog.isOutage(pg("53100")), "disk full");
    assertFalse(DecisionLog.isOutage(pg("23502")), "not-null violation");
    assertFalse(DecisionLog.isOutage(pg("23505")), "unique violation");
    assertFalse(DecisionLog.isOutage(pg("42P01")), "undefined table");
    assertFalse(DecisionLog.isOutage(pg("57014")), "query cancelled is 57 but not 57P");
    assertFalse(DecisionLog.isOutage(pg(null)), "a server error without a state is about the data");
    assertTrue(DecisionLog.isOutage(new IOException("Connection reset")), "anything that is not a server error");
    assertTrue(DecisionLog.isOutage(new TimeoutException()));
  }

  static PgException pg(String sqlState) {
    return new PgException("boom", "ERROR", sqlState, null);
  }
}
