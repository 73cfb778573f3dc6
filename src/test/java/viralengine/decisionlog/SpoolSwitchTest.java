package viralengine.decisionlog;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.metrics.ServiceMetrics;
import viralengine.orchestrator.LastError;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.store.DecisionStore;
import viralengine.store.FallbackRecord;
import viralengine.store.StoredOutcome;
import viralengine.support.PgProxy;
import viralengine.support.TestService;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * PostgreSQL is cut under a bare DecisionLog (one connection through a {@link PgProxy}): the log switches
 * to its spool, answers idempotency lookups from the spool, keeps fallbacks and decisions without a
 * request_id, refuses a second decision for a spooled request_id as PostgreSQL's unique index would, and
 * when the spool itself refuses a write its callers get -32603 while later writes still succeed. After the
 * cut heals, replay lands each acknowledged row once. Until the schema is ready, rows wait in the spool and
 * lookups consult the spool, then PostgreSQL.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SpoolSwitchTest {
  ProxiedLog db;
  TestService svc;
  PgProxy proxy;
  DecisionLog log;

  @BeforeEach
  void start() {
    db = ProxiedLog.start(64, 1_000, 20_000);
    svc = db.svc;
    proxy = db.proxy;
    log = db.log;
    assertTrue(await(log.record(SlowFlushTest.decision("warm"))), "the pool's one connection is open");
  }

  @AfterEach
  void stop() {
    db.close();
  }

  long rows(UUID decisionId) {
    return svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", decisionId);
  }

  static Throwable failure(Future<?> write) {
    return await(write.transform(done -> Future.succeededFuture(done.cause())));
  }

  /** Cuts PostgreSQL and records {@code first}, which switches the log to its spool. */
  void cutAndSwitch(DecisionRecord first) {
    proxy.cut();
    assertTrue(await(log.record(first)), "answered from the spool");
    assertTrue(log.spooling(), "every write goes to the spool while PostgreSQL is unreachable");
  }

  @Test
  void whileSpoolingARepeatedRequestIdIsAnsweredFromTheSpoolAndASecondDecisionForItIsRefused() {
    DecisionRecord first = SlowFlushTest.decision("switch");
    cutAndSwitch(first);
    String requestId = first.requestId();

    StoredOutcome same = await(log.findByRequestId(requestId, first.method(), first.inputParams()));
    assertNotNull(same, "the spooled decision is found while PostgreSQL is unreachable");
    assertTrue(same.sameRequest());
    assertEquals(first.outputResult(), same.output());
    assertNull(same.errorCode());
    assertFalse(await(log.findByRequestId(requestId, "trigger_event", first.inputParams())).sameRequest(),
        "another method under the same request_id is not the same request");
    assertFalse(await(log.findByRequestId(requestId, first.method(), new JsonObject().put("request_id", "other")))
        .sameRequest(), "other params under the same request_id are not the same request");

    DecisionRecord twin = new DecisionRecord(UUID.randomUUID(), requestId, first.method(), first.userId(),
        first.inputParams(), new JsonObject().put("twin", true), "twin", new JsonObject(), null, 1.0, null);
    assertFalse(await(log.record(twin)), "a second decision for a spooled request_id is not recorded");
    assertEquals(1, log.spoolDepth());

    proxy.restore();
    ProxiedLog.awaitDirect(svc, log);
    assertEquals(1, rows(first.decisionId()));
    assertEquals(0, rows(twin.decisionId()));
    StoredOutcome fromPostgres = await(log.findByRequestId(requestId, first.method(), first.inputParams()));
    assertTrue(fromPostgres.sameRequest());
    assertEquals(first.outputResult(), fromPostgres.output());
    assertNull(await(log.findByRequestId("never-" + UUID.randomUUID(), first.method(), first.inputParams())));
  }

  @Test
  void fallbacksAndDecisionsWithoutARequestIdAreSpooledAndReplayedAsWhatTheyAre() {
    DecisionRecord first = SlowFlushTest.decision("switch");
    cutAndSwitch(first);
    FallbackRecord fallback = new FallbackRecord(UUID.randomUUID(), "fb-" + UUID.randomUUID(), "select_loop",
        new JsonObject().put("user_id", "u1"), new JsonObject().put("loop", (String) null).put("degraded", true),
        "circuit open", new JsonObject().put("fallback", "circuit_open"), 0.25, null);
    FallbackRecord timeout = new FallbackRecord(UUID.randomUUID(), null, "trigger_event", new JsonObject(),
        new JsonObject(), "timeout", new JsonObject(), 150.5, ErrorCodes.TIMEOUT);
    DecisionRecord anonymous = new DecisionRecord(UUID.randomUUID(), null, "select_loop", "u2", new JsonObject(),
        new JsonObject().put("n", 1), "no request id", new JsonObject(), null, 2.0, null);
    await(log.recordFallback(fallback));
    await(log.recordFallback(timeout));
    assertTrue(await(log.record(anonymous)));
    assertEquals(4, log.spoolDepth());

    proxy.restore();
    ProxiedLog.awaitDirect(svc, log);
    var row = svc.query("SELECT success, error_code, request_id, rationale, latency_ms, output_result, features_used"
        + " FROM agent_decisions WHERE decision_id = $1", fallback.decisionId()).iterator().next();
    assertFalse(row.getBoolean("success"), "a fallback is stored as what the caller saw, not as a decision");
    assertNull(row.getInteger("error_code"));
    assertEquals(fallback.requestId(), row.getString("request_id"));
    assertEquals("circuit open", row.getString("rationale"));
    assertEquals(0.25, row.getDouble("latency_ms"));
    assertEquals(fallback.output(), row.getJsonObject("output_result"));
    assertEquals(fallback.features(), row.getJsonObject("features_used"));
    assertEquals(ErrorCodes.TIMEOUT, svc.query("SELECT error_code FROM agent_decisions WHERE decision_id = $1",
        timeout.decisionId()).iterator().next().getInteger("error_code"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1 AND success AND request_id IS NULL",
        anonymous.decisionId()));
    assertEquals(1, rows(first.decisionId()));
  }

  @Test
  void whenTheSpoolRefusesAWriteItsCallerGetsAnInternalErrorAndLaterWritesSucceed() throws Exception {
    DecisionRecord first = SlowFlushTest.decision("switch");
    cutAndSwitch(first);
    DecisionRecord refused = SlowFlushTest.decision("locked");
    // Another process holds the spool's write lock: SQLite answers SQLITE_BUSY after its busy timeout.
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + db.settings.spoolDir().resolve(Spool.FILE_NAME));
         Statement st = other.createStatement()) {
      st.execute("BEGIN IMMEDIATE");
      Throwable err = failure(log.record(refused));
      assertTrue(err instanceof RpcException, "the caller gets an RpcException, not " + err);
      assertEquals(ErrorCodes.INTERNAL_ERROR, ((RpcException) err).code());
      assertEquals("Internal error: the decision could not be recorded", err.getMessage(), "no internals leak");
      assertTrue(db.lastError.toJson().getString("message").startsWith("spool write failed: "), db.lastError.toJson().encode());
      st.execute("ROLLBACK");
    }
    assertEquals(0, log.pendingWrites(), "the refused row no longer counts as pending");
    DecisionRecord after = SlowFlushTest.decision("unlocked");
    assertTrue(await(log.record(after)), "the spool takes writes again once the lock is gone");

    proxy.restore();
    ProxiedLog.awaitDirect(svc, log);
    assertEquals(1, rows(first.decisionId()));
    assertEquals(1, rows(after.decisionId()));
    assertEquals(0, rows(refused.decisionId()), "a row whose caller got an error is not stored");
  }

  @Test
  void untilTheSchemaIsReadyRowsWaitInTheSpoolAndLookupsConsultTheSpoolThenPostgres() {
    DecisionRecord inPostgres = SlowFlushTest.decision("stored");
    assertTrue(await(log.record(inPostgres)));
    DecisionLog.Settings fresh = new DecisionLog.Settings(64, 0, 1_000, Path.of(TestService.newSpoolDir()), 20_000, 1, 0, 5_000);
    DecisionLog waiting = new DecisionLog(new DecisionStore(db.pool), fresh, new LastError(),
        new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    await(svc.vertx.deployVerticle(waiting));

    DecisionRecord early = SlowFlushTest.decision("early");
    assertTrue(await(waiting.record(early)));
    assertTrue(waiting.spooling());
    assertEquals(1, waiting.spoolDepth());
    assertEquals(0, rows(early.decisionId()), "nothing reaches PostgreSQL before its schema is ready");
    assertTrue(await(waiting.findByRequestId(early.requestId(), early.method(), early.inputParams())).sameRequest(),
        "found in the spool");
    assertEquals(inPostgres.outputResult(),
        await(waiting.findByRequestId(inPostgres.requestId(), inPostgres.method(), inPostgres.inputParams())).output(),
        "not in the spool: found in PostgreSQL");
    assertNull(await(waiting.findByRequestId("never-" + UUID.randomUUID(), early.method(), early.inputParams())));

    waiting.schemaReady();
    ProxiedLog.awaitDirect(svc, waiting);
    assertEquals(1, rows(early.decisionId()));
    await(svc.vertx.undeploy(waiting.deploymentID()));
  }
}
