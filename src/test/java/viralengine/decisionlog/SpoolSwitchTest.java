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
import viralengine.metrics.LastError;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * PostgreSQL is cut under a bare DecisionLog (one connection through a {@link PgProxy}): the log switches
 * to its spool, keeps fallbacks and decisions without a request_id, and when the spool itself refuses a write
 * its callers get -32603 while later writes still succeed. A decision (or a claiming fallback) with a request_id
 * is never spooled: only PostgreSQL's unique index can say whether the id was decided already, so while it cannot
 * answer the caller gets a retriable -32003 with data.retry_after_ms and nothing is stored (issue #23). A spool
 * written by an earlier version may still hold request_id decisions: idempotency lookups consult it first. After
 * the cut heals, replay lands each acknowledged row once. Until the schema is ready, rows wait in the spool and
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
    return SlowFlushTest.failure(write);
  }

  /** A spool as an earlier version left it, when decisions with a request_id were still spooled. */
  static Path earlierSpool(DecisionRecord... entries) throws Exception {
    Path dir = Path.of(TestService.newSpoolDir());
    try (Spool spool = Spool.open(dir)) {
      assertEquals(List.of(true), spool.append(java.util.Arrays.stream(entries).map(LogCodec::encode).toList()));
    }
    return dir;
  }

  static DecisionLog.Settings settingsOn(Path spoolDir) {
    return new DecisionLog.Settings(64, 0, 1_000, spoolDir, 20_000, 1, 0, 5_000);
  }

  /** Cuts PostgreSQL and records {@code first} (no request_id), which switches the log to its spool. */
  void cutAndSwitch(DecisionRecord first) {
    proxy.cut();
    assertTrue(await(log.record(first)), "answered from the spool");
    assertTrue(log.spooling(), "every write goes to the spool while PostgreSQL is unreachable");
  }

  @Test
  void whileSpoolingARequestIdFromAnEarlierVersionsSpoolIsAnsweredFromItAndNoDecisionWithARequestIdIsSpooled()
      throws Exception {
    DecisionRecord first = SlowFlushTest.decision("earlier");
    proxy.cut();
    DecisionLog restarted = ProxiedLog.deploy(svc, db.pool, settingsOn(earlierSpool(first)), db.lastError);
    assertTrue(restarted.spooling(), "PostgreSQL is unreachable: the earlier spool stays until replay can drain it");
    assertEquals(1, restarted.spoolDepth());
    String requestId = first.requestId();

    StoredOutcome same = await(restarted.findByRequestId(requestId, first.method(), first.inputParams()));
    assertNotNull(same, "the spooled decision is found while PostgreSQL is unreachable");
    assertTrue(same.sameRequest());
    assertEquals(first.outputResult(), same.output());
    assertNull(same.errorCode());
    assertFalse(await(restarted.findByRequestId(requestId, "trigger_event", first.inputParams())).sameRequest(),
        "another method under the same request_id is not the same request");
    assertFalse(await(restarted.findByRequestId(requestId, first.method(), new JsonObject().put("request_id", "other")))
        .sameRequest(), "other params under the same request_id are not the same request");

    DecisionRecord twin = new DecisionRecord(UUID.randomUUID(), requestId, first.method(), first.userId(),
        first.inputParams(), new JsonObject().put("twin", true), "twin", new JsonObject(), null, 1.0, null);
    SlowFlushTest.assertRetryLater(failure(restarted.record(twin)));
    DecisionRecord other = SlowFlushTest.decision("new");
    SlowFlushTest.assertRetryLater(failure(restarted.record(other)));
    assertEquals(1, restarted.spoolDepth(), "no decision with a request_id is spooled");

    proxy.restore();
    ProxiedLog.awaitDirect(svc, restarted);
    assertEquals(1, rows(first.decisionId()), "the earlier version's spooled decision is replayed once");
    assertEquals(0, rows(twin.decisionId()), "a refused decision leaves no row");
    assertEquals(0, rows(other.decisionId()), "a refused decision leaves no row");
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1", other.requestId()));
    StoredOutcome fromPostgres = await(restarted.findByRequestId(requestId, first.method(), first.inputParams()));
    assertTrue(fromPostgres.sameRequest());
    assertEquals(first.outputResult(), fromPostgres.output());
    assertFalse(await(restarted.record(twin)), "PostgreSQL's unique index refuses a second decision for the request_id");
    assertEquals(0, rows(twin.decisionId()));
    assertNull(await(restarted.findByRequestId("never-" + UUID.randomUUID(), first.method(), first.inputParams())));
    await(svc.vertx.undeploy(restarted.deploymentID()));
  }

  @Test
  void fallbacksAndDecisionsWithoutARequestIdAreSpooledAndReplayedAsWhatTheyAre() {
    DecisionRecord first = SlowFlushTest.anonymous("switch");
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
    // What needs PostgreSQL's verdict on its request_id is refused, not spooled.
    DecisionRecord withId = SlowFlushTest.decision("switch-id");
    SlowFlushTest.assertRetryLater(failure(log.record(withId)));
    FallbackRecord claim = new FallbackRecord(UUID.randomUUID(), "claim-" + UUID.randomUUID(), "select_loop",
        new JsonObject().put("user_id", "u3"), new JsonObject().put("loop", (String) null).put("degraded", true),
        "timeout", new JsonObject().put("fallback", "timeout"), 0.5, null);
    SlowFlushTest.assertRetryLater(failure(log.claimFallback(claim)));
    assertEquals(4, log.spoolDepth());

    proxy.restore();
    ProxiedLog.awaitDirect(svc, log);
    assertEquals(0, rows(withId.decisionId()), "a refused decision leaves no row");
    assertEquals(0, rows(claim.decisionId()), "a refused claim leaves no row");
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = ANY($1)",
        (Object) new String[] {withId.requestId(), claim.requestId()}));
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
    DecisionRecord first = SlowFlushTest.anonymous("switch");
    cutAndSwitch(first);
    DecisionRecord refused = SlowFlushTest.anonymous("locked");
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
    DecisionRecord after = SlowFlushTest.anonymous("unlocked");
    assertTrue(await(log.record(after)), "the spool takes writes again once the lock is gone");

    proxy.restore();
    ProxiedLog.awaitDirect(svc, log);
    assertEquals(1, rows(first.decisionId()));
    assertEquals(1, rows(after.decisionId()));
    assertEquals(0, rows(refused.decisionId()), "a row whose caller got an error is not stored");
  }

  @Test
  void untilTheSchemaIsReadyRowsWaitInTheSpoolAndLookupsConsultTheSpoolThenPostgres() throws Exception {
    DecisionRecord inPostgres = SlowFlushTest.decision("stored");
    assertTrue(await(log.record(inPostgres)));
    DecisionRecord earlier = SlowFlushTest.decision("earlier");
    DecisionLog waiting = new DecisionLog(new DecisionStore(db.pool), settingsOn(earlierSpool(earlier)), new LastError(),
        new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    await(svc.vertx.deployVerticle(waiting));

    DecisionRecord early = SlowFlushTest.anonymous("early");
    assertTrue(await(waiting.record(early)));
    assertTrue(waiting.spooling());
    assertEquals(2, waiting.spoolDepth());
    DecisionRecord withId = SlowFlushTest.decision("early-id");
    SlowFlushTest.assertRetryLater(failure(waiting.record(withId)));
    assertEquals(2, waiting.spoolDepth(), "a decision with a request_id is not spooled");
    assertEquals(0, rows(early.decisionId()), "nothing reaches PostgreSQL before its schema is ready");
    assertEquals(0, rows(earlier.decisionId()));
    assertTrue(await(waiting.findByRequestId(earlier.requestId(), earlier.method(), earlier.inputParams())).sameRequest(),
        "found in the spool an earlier version wrote");
    assertEquals(inPostgres.outputResult(),
        await(waiting.findByRequestId(inPostgres.requestId(), inPostgres.method(), inPostgres.inputParams())).output(),
        "not in the spool: found in PostgreSQL");
    assertNull(await(waiting.findByRequestId("never-" + UUID.randomUUID(), early.method(), early.inputParams())));

    waiting.schemaReady();
    ProxiedLog.awaitDirect(svc, waiting);
    assertEquals(1, rows(early.decisionId()));
    assertEquals(1, rows(earlier.decisionId()));
    assertEquals(0, rows(withId.decisionId()), "a refused decision leaves no row");
    await(svc.vertx.undeploy(waiting.deploymentID()));
  }

  /**
   * A steady load keeps the spool's one thread busy: while every write still went to the spool until it was empty with
   * no append in flight, the log never switched back, and the spool grew for as long as the load lasted (PostgresCutTest
   * failed on it now and then). Once PostgreSQL answers, new rows go to it, and replay drains the rest behind them.
   */
  @Test
  void underASteadyLoadTheLogWritesToPostgresAgainOncePostgresAnswersAndReplayDrainsTheRest() {
    cutAndSwitch(SlowFlushTest.anonymous("switch"));
    AtomicBoolean running = new AtomicBoolean(true);
    Set<UUID> acked = ConcurrentHashMap.newKeySet();
    List<Future<Void>> writers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      writers.add(steadyWriter(running, acked));
    }
    await(svc.vertx.timer(200));
    proxy.restore();
    long deadline = System.currentTimeMillis() + 20_000;
    while (log.spooling() || log.spoolDepth() > 0) {
      assertTrue(System.currentTimeMillis() < deadline, "20 s after PostgreSQL came back under load, the log still "
          + (log.spooling() ? "writes to its spool" : "holds " + log.spoolDepth() + " rows there"));
      await(svc.vertx.timer(10));
    }
    long direct = acked.size();
    await(svc.vertx.timer(200));
    assertTrue(acked.size() > direct, "the load was still running when the log wrote to PostgreSQL again");
    assertFalse(log.spooling(), "and it kept writing there");
    running.set(false);
    await(Future.all(writers));
    ProxiedLog.awaitDirect(svc, log);
    assertEquals(acked.size(), svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = ANY($1)",
        (Object) acked.toArray(UUID[]::new)), "every acknowledged row is in PostgreSQL, once");
  }

  /** Records anonymous decisions one after another until stopped, collecting the ids that were acknowledged. */
  private Future<Void> steadyWriter(AtomicBoolean running, Set<UUID> acked) {
    if (!running.get()) {
      return Future.succeededFuture();
    }
    DecisionRecord row = SlowFlushTest.anonymous("steady");
    return log.record(row).compose(ok -> {
      assertTrue(ok, "an anonymous row always goes in");
      acked.add(row.decisionId());
      return steadyWriter(running, acked);
    });
  }
}
