package viralengine.decisionlog;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.LastError;
import viralengine.store.DecisionRecord;
import viralengine.store.DecisionStore;
import viralengine.support.TestService;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Group-commit lanes (decision_log.overlap_after_ms), on the real PostgreSQL. The first flush is held up the way it
 * is in production: its guarded selection waits on the learner's row lock, here held by the test's own transaction.
 * Which rows went in together is read from PostgreSQL itself: rows of one transaction share its xmin.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FlushLanesTest {
  static final String HELD = "lanes-held";
  static TestService svc;
  SqlConnection locker;
  Transaction lock;
  DecisionLog log;

  @BeforeAll
  static void start() {
    svc = TestService.start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @AfterEach
  void release() {
    if (lock != null) {
      await(lock.rollback().eventually(locker::close));
      lock = null;
    }
    if (log != null) {
      await(svc.vertx.undeploy(log.deploymentID()));
    }
  }

  @Test
  void rowsBehindAFlushInFlightGoInOneGroupCommit() {
    log = deploy(60_000);
    Future<Boolean> held = holdAGuardedFlush();
    List<Future<Boolean>> behind = recordSpacedOut("lanes-gather", 10);
    assertFalse(behind.stream().anyMatch(Future::isComplete), "no lane opens before overlap_after_ms");
    await(lock.commit());
    lock = null;
    assertTrue(await(held));
    behind.forEach(f -> assertTrue(await(f)));
    assertEquals(1, svc.count("SELECT count(DISTINCT xmin::text) FROM agent_decisions WHERE request_id LIKE 'lanes-gather-%'"),
        "the ten rows that arrived one by one behind the held flush were written in one transaction");
  }

  @Test
  void aFlushHeldUpPastOverlapAfterDoesNotHoldUpTheRowsBehindIt() {
    log = deploy(200);
    Future<Boolean> held = holdAGuardedFlush();
    List<Future<Boolean>> behind = recordSpacedOut("lanes-overtake", 3);
    behind.forEach(f -> assertTrue(await(f), "durable through a second lane while the first still waits"));
    assertFalse(held.isComplete(), "the guarded selection still waits for its learner's row lock");
    await(lock.commit());
    lock = null;
    assertTrue(await(held));
  }

  DecisionLog deploy(long overlapAfterMs) {
    // A flush timeout past the tests' waits: no batch goes to the spool while the lock is held.
    DecisionLog.Settings settings = new DecisionLog.Settings(64, 2, 1_000, Path.of(TestService.newSpoolDir()), 60_000,
        2, overlapAfterMs, 5_000);
    DecisionLog deployed = new DecisionLog(new DecisionStore(svc.sql), settings, new LastError(),
        new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    await(svc.vertx.deployVerticle(deployed));
    deployed.schemaReady();
    ProxiedLog.awaitDirect(svc, deployed);
    return deployed;
  }

  /** Locks the learner's row, then records a selection guarded on it: that flush stays in flight until the lock goes. */
  Future<Boolean> holdAGuardedFlush() {
    svc.query("INSERT INTO learners (user_id, selection_seq) VALUES ($1, 0) ON CONFLICT (user_id) DO UPDATE SET selection_seq = 0", HELD);
    locker = await(svc.sql.getConnection());
    lock = await(locker.begin());
    await(locker.preparedQuery("SELECT 1 FROM learners WHERE user_id = $1 FOR UPDATE").execute(Tuple.of(HELD)));
    long loopId = svc.count("SELECT min(id) FROM viral_loops");
    Future<Boolean> held = log.record(new DecisionRecord(UUID.randomUUID(), "lanes-guarded-" + UUID.randomUUID(),
        "select_loop", HELD, new JsonObject().put("user_id", HELD), new JsonObject(), "guarded", new JsonObject(),
        loopId, 0.5, null, 0L, OffsetDateTime.now(ZoneOffset.UTC)));
    awaitLockWait();
    return held;
  }

  /** The guarded flush has reached PostgreSQL and waits on the lock. */
  void awaitLockWait() {
    svc.awaitLockWait("the guarded flush");
  }

  /** Unguarded rows, each after the last one's max_delay_ms has passed, so each could have started a flush of its own. */
  List<Future<Boolean>> recordSpacedOut(String prefix, int n) {
    List<Future<Boolean>> recorded = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String requestId = prefix + "-" + i;
      recorded.add(log.record(new DecisionRecord(UUID.randomUUID(), requestId, "select_loop", "lanes",
          new JsonObject().put("request_id", requestId), new JsonObject(), "test", new JsonObject(), null, 1.0, null)));
      await(svc.vertx.timer(5));
    }
    return recorded;
  }
}
