package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.LastError;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.store.DecisionStore;
import viralengine.store.FallbackRecord;
import viralengine.store.StoredOutcome;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The durable decision log: a caller's row is answered once it is durable, in PostgreSQL or (while PostgreSQL is
 * away) in the spool, and never lost once answered. Its parts, each in a file of its own:
 * <ul>
 *   <li>{@link Settlement}: admission (a bounded queue) and each caller's answer, once, on its own context;</li>
 *   <li>{@link GroupCommit}: rows gathered into batches, a few flushes in flight;</li>
 *   <li>{@link Flush}: one batch's write to PostgreSQL with its timeout;</li>
 *   <li>{@link SpoolSwitch}: the spool, and the switch to it on an outage or a slow flush;</li>
 *   <li>{@link Replay}: the spool drained back into PostgreSQL.</li>
 * </ul>
 * Rows whose answer needs PostgreSQL's verdict (a request_id, a guarded selection) are never spooled: their callers
 * wait for PostgreSQL, up to the hang limit, and otherwise get an error that decides nothing.
 *
 * <p>All state lives on this verticle's context; callers on other contexts hop onto it and get their answer back on
 * their own context.
 */
public final class DecisionLog extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(DecisionLog.class);
  static final long REPLAY_FIRST_BACKOFF_MS = 100;
  static final long REPLAY_MAX_BACKOFF_MS = 5_000;
  static final long REPLAY_TIMEOUT_MS = 5_000;
  /** Replay moves at least this many rows per round trip, whatever max_batch is: the backlog must drain fast. */
  static final int REPLAY_BATCH = 500;
  private static final long DRAIN_POLL_MS = 10;
  /** A write to PostgreSQL outstanding for this long means it hangs, not merely lags. */
  static final long HUNG_AFTER_NS = TimeUnit.SECONDS.toNanos(1);
  /** What a refused request_id's caller is told to wait: about as long as a write is allowed before it counts as hung. */
  public static final long RETRY_AFTER_MS = 1_000;
  static final int REHEARSED_WRITES = 64;

  /** @param overlapAfterMs see {@link GroupCommit}; 0 starts flushes side by side at once, up to maxConcurrentFlushes */
  public record Settings(int maxBatch, long maxDelayMs, int queueCapacity, Path spoolDir, long flushTimeoutMs,
      int maxConcurrentFlushes, long overlapAfterMs, long drainTimeoutMs) {}

  private final DecisionStore store;
  private final Settings settings;
  private final LastError lastError;
  private final ServiceMetrics metrics;
  private final Settlement settlement;
  private final AtomicInteger rehearsedWrites = new AtomicInteger();
  private SpoolSwitch spool;
  private GroupCommit commits;
  private Replay replay;
  private volatile boolean started;
  private Function<Set<String>, Future<Void>> onReplayed = users -> Future.succeededFuture();

  public DecisionLog(DecisionStore store, Settings settings, LastError lastError, ServiceMetrics metrics) {
    this.store = store;
    this.settings = settings;
    this.lastError = lastError;
    this.metrics = metrics;
    this.settlement = new Settlement(settings.queueCapacity());
    metrics.decisionLog(this::pendingWrites, this::spoolDepth);
  }

  /**
   * Called (before start) with the learners whose rows a replay batch just wrote, once they are in PostgreSQL: the
   * erasure of a learner whose rows were still spooled applies to them here. The batch counts as replayed once the
   * returned future succeeds; a failure retries the batch (the write is idempotent).
   */
  public void onReplayed(Function<Set<String>, Future<Void>> hook) {
    this.onReplayed = hook;
  }

  /**
   * Opens the spool. Rows go to the spool, and nothing is replayed, until {@link #schemaReady()}: a spool
   * left by an earlier run must not meet a database whose tables are not migrated yet.
   */
  @Override
  public Future<?> start() {
    spool = new SpoolSwitch(vertx, "viral-engine-spool-" + deploymentID(), settings.spoolDir(), settlement, metrics,
        lastError);
    replay = new Replay(vertx, store, spool, lastError, Math.max(REPLAY_BATCH, settings.maxBatch()), onReplayed);
    spool.onAppended(replay::start);
    commits = new GroupCommit(vertx, settings, settlement, spool, outstanding -> new Flush.Writer(vertx, store,
        settlement, spool, metrics, lastError, settings.flushTimeoutMs(), outstanding));
    return spool.open().onSuccess(v -> started = true);
  }

  /** The schema is migrated: drain the spool (if any) and then write to PostgreSQL directly. */
  public void schemaReady() {
    context.runOnContext(v -> replay.schemaReady());
  }

  /** Flushes everything accepted (to PostgreSQL, or to the spool), then closes the spool. */
  @Override
  public Future<?> stop() {
    if (!started) {
      return spool == null ? Future.succeededFuture() : spool.close();
    }
    replay.close();
    commits.flushNow();
    Promise<Void> drained = Promise.promise();
    awaitDrained(drained, System.currentTimeMillis() + settings.drainTimeoutMs());
    return drained.future().eventually(spool::close);
  }

  /** Records a decision; completes with false when its request_id or decision_id is already taken. */
  public Future<Boolean> record(DecisionRecord decision) {
    return append(decision, false);
  }

  /**
   * Writes the decision in a transaction that is rolled back (the warm-up): the path is run, nothing stays. Only the
   * first {@link #REHEARSED_WRITES} go to PostgreSQL: enough to prepare the statement on every connection of the log's
   * pool and warm PostgreSQL's caches; after that a rolled-back write (three round trips) teaches the JVM nothing new.
   */
  public Future<Boolean> rehearse(DecisionRecord decision) {
    return rehearsedWrites.getAndIncrement() < REHEARSED_WRITES ? store.rehearse(List.of(decision)).map(true)
        : Future.succeededFuture(true);
  }

  /** Records what a caller was told in the orchestrator's place. */
  public Future<Void> recordFallback(FallbackRecord fallback) {
    return append(fallback, false).mapEmpty();
  }

  /**
   * Records an answer given in the orchestrator's place under its request_id, if that id is still free: true when it
   * went in (the caller may be told it), false when the id (or the decision id) was taken first, and then the
   * request_id's first answer is the one to give. Never spooled: without PostgreSQL's verdict it fails with a
   * retriable -32003.
   */
  public Future<Boolean> claimFallback(FallbackRecord fallback) {
    return append(fallback, true);
  }

  /** The first answer for a request_id: from the spool while it is in use, else from PostgreSQL. */
  public Future<StoredOutcome> findByRequestId(String requestId, String method, JsonObject params) {
    if (!spooling() && spoolDepth() == 0) {
      return store.findByRequestId(requestId, method, params);
    }
    return spool.findDecision(requestId).compose(found -> found == null
        ? store.findByRequestId(requestId, method, params)
        : Future.succeededFuture(new StoredOutcome(method.equals(found.getString("method"))
            && params.equals(found.getJsonObject("input_params")), found.getJsonObject("output_result"), null)));
  }

  /** Rows accepted and not yet durable. */
  public int pendingWrites() {
    return settlement.pending();
  }

  public long spoolDepth() {
    return spool == null ? 0 : spool.depth();
  }

  /** True while rows go to the spool rather than to PostgreSQL (from the start until the schema is migrated). */
  public boolean spooling() {
    return !started || spool.spooling();
  }

  private Future<Boolean> append(Object entry, boolean claim) {
    RpcException refused = settlement.admit(entry);
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    Pending pending = new Pending(entry, Vertx.currentContext(), claim);
    context.runOnContext(v -> commits.enqueue(pending));
    return pending.promise.future();
  }

  private void awaitDrained(Promise<Void> drained, long deadline) {
    if (settlement.pending() == 0 && commits.idle() && spool.appendsInFlight() == 0) {
      drained.complete();
    } else if (System.currentTimeMillis() > deadline) {
      LOG.error("Drain timeout: {} decisions were accepted but are not durable", settlement.pending());
      drained.complete();
    } else {
      commits.flushNow();
      vertx.setTimer(DRAIN_POLL_MS, id -> awaitDrained(drained, deadline));
    }
  }

  /** Connection-level failures mean "PostgreSQL is not there"; SQL errors mean "this data is refused". */
  static boolean isOutage(Throwable err) {
    if (err instanceof PgException pg) {
      String state = pg.getSqlState();
      return state != null && (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53"));
    }
    return true;
  }

  static String message(Throwable err) {
    return err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
  }
}
