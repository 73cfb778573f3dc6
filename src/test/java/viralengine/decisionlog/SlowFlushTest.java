package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.support.PgProxy;
import viralengine.support.TestService;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * A flush slower than spool.flush_timeout_ms: a spike (no write to PostgreSQL has waited a second yet)
 * spools that batch only and keeps writing to PostgreSQL; a hang (a write has waited over a second)
 * switches every write to the spool until replay drains it. Either way each decision lands once. Only rows
 * without a request_id are spooled: a decision with one waits for PostgreSQL's verdict, and when it does not
 * come in time its caller gets a retriable -32003 and nothing is spooled for it (issue #23).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowFlushTest {
  static final long FLUSH_TIMEOUT_MS = 100;
  ProxiedLog db;
  TestService svc;
  PgProxy proxy;
  DecisionLog log;

  @BeforeEach
  void start() throws InterruptedException {
    db = ProxiedLog.start(64, 1_000, FLUSH_TIMEOUT_MS);
    svc = db.svc;
    proxy = db.proxy;
    log = db.log;
    DecisionRecord warm = decision("warm");
    assertTrue(await(log.record(warm)));
    // On a loaded machine the warm-up flush itself may outlast FLUSH_TIMEOUT_MS and be spooled; replay lands it.
    ProxiedLog.awaitDirect(svc, log);
    assertEquals(1, rows(warm), "the pool's one connection is open and has committed");
  }

  @AfterEach
  void stop() {
    db.close();
  }

  static DecisionRecord decision(String tag) {
    String requestId = tag + "-" + UUID.randomUUID();
    return new DecisionRecord(UUID.randomUUID(), requestId, "select_loop", "slow-flush",
        new JsonObject().put("request_id", requestId), new JsonObject(), "test", new JsonObject(), null, 1.0, null);
  }

  /** A decision without a request_id: the kind of row the spool takes. */
  static DecisionRecord anonymous(String tag) {
    return new DecisionRecord(UUID.randomUUID(), null, "select_loop", "slow-flush",
        new JsonObject().put("tag", tag + "-" + UUID.randomUUID()), new JsonObject(), "test", new JsonObject(), null, 1.0, null);
  }

  /** The caller was told to retry: -32003 with data.retry_after_ms, and that PostgreSQL could not confirm the request_id. */
  static void assertRetryLater(Throwable err) {
    assertTrue(err instanceof RpcException, "an RpcException, not " + err);
    RpcException rpc = (RpcException) err;
    assertEquals(ErrorCodes.OVERLOADED, rpc.code(), rpc.getMessage());
    assertTrue(rpc.getMessage().startsWith("PostgreSQL did not confirm in time whether this request_id was already decided"),
        rpc.getMessage());
    assertNotNull(rpc.data(), "-32003 carries data");
    assertEquals(DecisionLog.RETRY_AFTER_MS, rpc.data().getLong("retry_after_ms"));
  }

  static Throwable failure(Future<?> write) {
    return await(write.transform(done -> Future.succeededFuture(done.cause())));
  }


  /**
   * A request_id decision refused while its write hung may still commit once PostgreSQL answers (the caller was told
   * nothing was decided, so a retry gets it as the first answer): never in the spool, at most one row for its
   * request_id, and any later decision for that id is refused by the unique index.
   */
  static void assertAtMostOneDecision(TestService svc, DecisionLog log, DecisionRecord refused) {
    String byRequestId = "SELECT count(*) FROM agent_decisions WHERE request_id = $1";
    assertTrue(svc.count(byRequestId, refused.requestId()) <= 1, "at most one row for " + refused.requestId());
    DecisionRecord retry = new DecisionRecord(UUID.randomUUID(), refused.requestId(), refused.method(), refused.userId(),
        refused.inputParams(), new JsonObject().put("retry", true), "retry", new JsonObject(), null, 1.0, null);
    boolean retried = await(log.record(retry));
    assertEquals(1, svc.count(byRequestId, refused.requestId()), "one decision for the request_id, whoever wrote it");
    assertEquals(retried ? 0 : 1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1",
        refused.decisionId()), "the retry went in only if the refused write never committed");
  }

  long rows(DecisionRecord d) {
    return svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", d.decisionId());
  }

  static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, what);
      Thread.sleep(20);
    }
  }

  @Test
  void aSpikeSpoolsTheLateBatchOnlyAndReplayLandsItOnce() throws Exception {
    proxy.pause();
    DecisionRecord late = anonymous("spike");
    long sent = System.nanoTime();
    assertTrue(await(log.record(late)), "answered from the spool");
    assertTrue((System.nanoTime() - sent) / 1_000_000 < 2_000, "answered soon after the flush timeout");
    assertFalse(log.spooling(), "later writes still go to PostgreSQL");
    assertEquals(1, log.spoolDepth());
    DecisionRecord withId = decision("spike-id");
    assertRetryLater(failure(log.record(withId)));
    assertEquals(1, log.spoolDepth(), "a request_id row is never spooled");

    proxy.restore();
    awaitTrue("replay empties the spool and writes go to PostgreSQL", () -> !log.spooling() && log.spoolDepth() == 0);
    assertEquals(1, rows(late), "in PostgreSQL once, whether the late commit or the replay put it there");
    assertAtMostOneDecision(svc, log, withId);
    DecisionRecord after = decision("after");
    assertTrue(await(log.record(after)));
    assertEquals(1, rows(after));
  }

  @Test
  void aSlowFlushAfterAnIdleSpellIsASpikeNotAHang() throws Exception {
    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(DecisionLog.HUNG_AFTER_NS) + 200); // nothing written for a while
    proxy.pause();
    DecisionRecord late = anonymous("idle");
    assertTrue(await(log.record(late)));
    assertFalse(log.spooling(), "a quiet second before is not a hang");
    assertEquals(1, log.spoolDepth());
    DecisionRecord withId = decision("idle-id");
    assertRetryLater(failure(log.record(withId)));
    assertEquals(1, log.spoolDepth(), "a request_id row is never spooled");
    proxy.restore();
    awaitTrue("replay empties the spool", () -> log.spoolDepth() == 0);
    assertEquals(1, rows(late));
    awaitTrue("writes go to PostgreSQL again", () -> !log.spooling());
    assertAtMostOneDecision(svc, log, withId);
  }

  @Test
  void aHangSendsEveryWriteToTheSpoolUntilReplayDrainsIt() throws Exception {
    proxy.pause();
    DecisionRecord first = anonymous("hang-1");
    assertTrue(await(log.record(first)));
    assertFalse(log.spooling(), "one late flush is not yet a hang");
    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(DecisionLog.HUNG_AFTER_NS) + 200);
    DecisionRecord second = anonymous("hang-2");
    assertTrue(await(log.record(second)));
    assertTrue(log.spooling(), "the first write has waited over a second: every write goes to the spool");
    DecisionRecord third = anonymous("hang-3");
    assertTrue(await(log.record(third)), "answered from the spool while PostgreSQL still hangs");
    assertEquals(3, log.spoolDepth());
    DecisionRecord withId = decision("hang-id");
    assertRetryLater(failure(log.record(withId)));
    assertEquals(3, log.spoolDepth(), "a request_id row is never spooled");

    proxy.restore();
    awaitTrue("replay drains the spool and writes go to PostgreSQL again", () -> !log.spooling() && log.spoolDepth() == 0);
    assertEquals(1, rows(first));
    assertEquals(1, rows(second));
    assertEquals(1, rows(third));
    assertEquals(0, rows(withId), "refused while spooling: never sent to PostgreSQL, so no row");
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1", withId.requestId()));
  }
}
