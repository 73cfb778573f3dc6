package viralengine.decisionlog;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.store.DecisionRecord;
import viralengine.support.PgProxy;
import viralengine.support.TestService;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * A flush slower than spool.flush_timeout_ms: a spike (no write to PostgreSQL has waited a second yet)
 * spools that batch only and keeps writing to PostgreSQL; a hang (a write has waited over a second)
 * switches every write to the spool until replay drains it. Either way each decision lands once.
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
    DecisionRecord late = decision("spike");
    long sent = System.nanoTime();
    assertTrue(await(log.record(late)), "answered from the spool");
    assertTrue((System.nanoTime() - sent) / 1_000_000 < 2_000, "answered soon after the flush timeout");
    assertFalse(log.spooling(), "later writes still go to PostgreSQL");
    assertEquals(1, log.spoolDepth());

    proxy.restore();
    awaitTrue("replay empties the spool", () -> log.spoolDepth() == 0);
    assertFalse(log.spooling());
    assertEquals(1, rows(late), "in PostgreSQL once, whether the late commit or the replay put it there");
    DecisionRecord after = decision("after");
    assertTrue(await(log.record(after)));
    assertEquals(1, rows(after));
  }

  @Test
  void aSlowFlushAfterAnIdleSpellIsASpikeNotAHang() throws Exception {
    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(DecisionLog.HUNG_AFTER_NS) + 200); // nothing written for a while
    proxy.pause();
    DecisionRecord late = decision("idle");
    assertTrue(await(log.record(late)));
    assertFalse(log.spooling(), "a quiet second before is not a hang");
    proxy.restore();
    awaitTrue("replay empties the spool", () -> log.spoolDepth() == 0);
    assertEquals(1, rows(late));
  }

  @Test
  void aHangSendsEveryWriteToTheSpoolUntilReplayDrainsIt() throws Exception {
    proxy.pause();
    DecisionRecord first = decision("hang-1");
    assertTrue(await(log.record(first)));
    assertFalse(log.spooling(), "one late flush is not yet a hang");
    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(DecisionLog.HUNG_AFTER_NS) + 200);
    DecisionRecord second = decision("hang-2");
    assertTrue(await(log.record(second)));
    assertTrue(log.spooling(), "the first write has waited over a second: every write goes to the spool");
    DecisionRecord third = decision("hang-3");
    assertTrue(await(log.record(third)), "answered from the spool while PostgreSQL still hangs");
    assertEquals(3, log.spoolDepth());

    proxy.restore();
    awaitTrue("replay drains the spool and writes go to PostgreSQL again", () -> !log.spooling() && log.spoolDepth() == 0);
    assertEquals(1, rows(first));
    assertEquals(1, rows(second));
    assertEquals(1, rows(third));
  }
}
