package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.store.FallbackRecord;
import viralengine.support.PgProxy;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Fallback rows (what callers were told while the circuit was open) are best effort and must not crowd
 * out decisions: they may fill half of the queue at most, and a flush takes waiting decisions first.
 * PostgreSQL hangs (a paused proxy) while the queue fills; one connection, two rows per flush.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FallbackPriorityTest {
  static final int CAPACITY = 6;
  static ProxiedLog db;
  static TestService svc;
  static PgProxy proxy;
  static DecisionLog log;

  @BeforeAll
  static void start() {
    db = ProxiedLog.start(2, CAPACITY, 20_000);
    svc = db.svc;
    proxy = db.proxy;
    log = db.log;
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  static DecisionRecord decision(String tag) {
    return new DecisionRecord(UUID.randomUUID(), tag, "select_loop", "priority", new JsonObject().put("request_id", tag),
        new JsonObject(), "test", new JsonObject(), null, 1.0, null);
  }

  static FallbackRecord fallback(String tag) {
    return new FallbackRecord(UUID.randomUUID(), tag, "select_loop", new JsonObject().put("request_id", tag),
        new JsonObject().put("degraded", true), "default", new JsonObject().put("fallback", "circuit_open"), 0.1, null);
  }

  static RpcException refusal(Future<?> write) {
    Throwable err = await(write.transform(done -> Future.succeededFuture(done.cause())));
    assertTrue(err instanceof RpcException, "the write was refused with -32003, got " + err);
    assertEquals(ErrorCodes.OVERLOADED, ((RpcException) err).code());
    return (RpcException) err;
  }

  @Test
  void fallbacksTakeHalfTheQueueAtMostAndDecisionsAreFlushedFirst() throws Exception {
    String tag = "prio-" + UUID.randomUUID().toString().substring(0, 8);
    assertTrue(await(log.record(decision(tag + "-warm"))), "the pool's one connection is open before the hang");

    proxy.pause();
    List<Future<Void>> fallbacks = new ArrayList<>();
    for (int i = 0; i < CAPACITY / 2; i++) {
      fallbacks.add(log.recordFallback(fallback(tag + "-f" + i)));
    }
    Thread.sleep(200); // the first two are in the hung flush; the third waits
    assertTrue(refusal(log.recordFallback(fallback(tag + "-f-over"))).getMessage().contains("fallback rows"));

    List<Future<Boolean>> decisions = new ArrayList<>();
    for (int i = 0; i < CAPACITY / 2; i++) {
      decisions.add(log.record(decision(tag + "-d" + i)));
    }
    assertEquals(CAPACITY, log.pendingWrites(), "decisions still found room behind the fallbacks");
    assertTrue(refusal(log.record(decision(tag + "-d-over"))).getMessage().contains("queue_capacity=" + CAPACITY));

    proxy.restore();
    await(Future.all(fallbacks));
    decisions.forEach(d -> assertTrue(await(d)));
    long lastDecision = svc.count("SELECT max(id) FROM agent_decisions WHERE request_id LIKE $1", tag + "-d%");
    long lastFallback = svc.count("SELECT id FROM agent_decisions WHERE request_id = $1", tag + "-f2");
    assertTrue(lastDecision < lastFallback, "the fallback that waited was flushed after the decisions that came later");
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id LIKE $1", tag + "-%-over"));
  }
}
