package viralengine.decisionlog;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.Throttle;
import viralengine.orchestrator.LastError;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.store.DecisionStore;
import viralengine.store.FallbackRecord;
import viralengine.store.Inserted;
import viralengine.store.StaleSelection;
import viralengine.store.StoredOutcome;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The durable decision log: group commit to PostgreSQL, an outage spool, and replay.
 *
 * <p>Every verticle hands its rows to this one writer. Rows wait at most {@code maxDelayMs}, or until
 * {@code maxBatch} are pending, and then go to PostgreSQL as one batch in one transaction; a caller's
 * future completes once its batch has committed. When PostgreSQL cannot be reached, or a flush takes
 * longer than {@code flushTimeoutMs}, the batch is written to the spool (fsync'd) instead, and from then
 * on every row goes to the spool until replay has drained it, so the spool reaches PostgreSQL in order.
 * Replay is idempotent by decision id, so a batch that committed after its flush timed out is not
 * written twice.
 *
 * <p>All state lives on this verticle's context; callers on other contexts hop onto it and get their
 * answer back on their own context.
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
  private static final Throttle SLOW_FLUSH = new Throttle();
  /** What a refused request_id's caller is told to wait: about as long as a write is allowed before it counts as hung. */
  public static final long RETRY_AFTER_MS = 1_000;
  static final int REHEARSED_WRITES = 64;

  /** @param overlapAfterMs see {@link #laneOpen}; 0 starts flushes side by side at once, up to maxConcurrentFlushes */
  public record Settings(int maxBatch, long maxDelayMs, int queueCapacity, Path spoolDir, long flushTimeoutMs,
      int maxConcurrentFlushes, long overlapAfterMs, long drainTimeoutMs) {}

  /** What a spool write reports back: which rows it took, and the depth after it. */
  private record Appended(List<Boolean> added, long depth) {}

  /** One row on its way: settled once, on the caller's context. */
  private static final class Pending {
    final Object entry;
    final Promise<Boolean> promise = Promise.promise();
    final Context caller;
    /** A fallback that claims its request_id: it goes in only if the id is free, and its caller waits to know. */
    final boolean claim;
    boolean settled;

    Pending(Object entry, Context caller, boolean claim) {
      this.entry = entry;
      this.caller = caller;
      this.claim = claim;
    }
  }

  private final DecisionStore store;
  private final Settings settings;
  private final LastError lastError;
  private final ServiceMetrics metrics;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger rehearsedWrites = new AtomicInteger();
  private final AtomicInteger fallbacksAccepted = new AtomicInteger();
  /** Decisions go first: a storm of fallback rows (an open circuit) must not delay the decisions that close it. */
  private final ArrayDeque<Pending> decisions = new ArrayDeque<>();
  private final ArrayDeque<Pending> fallbacks = new ArrayDeque<>();
  /** True from the start: until the schema is migrated, rows wait in the spool. */
  private volatile boolean spooling = true;
  private boolean schemaReady;
  private volatile long spoolDepth;
  private WorkerExecutor spoolThread;
  private Spool spool;
  private long flushTimer = -1;
  private int flushesInFlight;
  private int spoolAppendsInFlight;
  private boolean replaying;
  private boolean closing;
  /** The spool held or took rows since the last "drained" line: worth telling the operator when it empties. */
  private boolean outageToReport;
  /** Start times of writes to PostgreSQL not yet answered (a timed-out one stays until it ends), oldest first. */
  private final ArrayDeque<Long> outstanding = new ArrayDeque<>();

  public DecisionLog(DecisionStore store, Settings settings, LastError lastError, ServiceMetrics metrics) {
    this.store = store;
    this.settings = settings;
    this.lastError = lastError;
    this.metrics = metrics;
    metrics.decisionLog(this::pendingWrites, this::spoolDepth);
  }

  /**
   * Opens the spool. Rows go to the spool, and nothing is replayed, until {@link #schemaReady()}: a spool
   * left by an earlier run must not meet a database whose tables are not migrated yet.
   */
  @Override
  public Future<?> start() {
    spoolThread = vertx.createSharedWorkerExecutor("viral-engine-spool-" + deploymentID(), 1);
    return onSpool(() -> Spool.open(settings.spoolDir())).onSuccess(opened -> {
      spool = opened;
      spoolDepth = opened.depth();
      outageToReport = spoolDepth > 0;
      if (spoolDepth > 0) {
        LOG.warn("Spool {} holds {} entries from an earlier run; replaying them into PostgreSQL once it is migrated",
            settings.spoolDir(), spoolDepth);
      }
    });
  }

  /** The schema is migrated: drain the spool (if any) and then write to PostgreSQL directly. */
  public void schemaReady() {
    context.runOnContext(v -> {
      schemaReady = true;
      startReplay();
    });
  }

  /** Flushes everything accepted (to PostgreSQL, or to the spool), then closes the spool. */
  @Override
  public Future<?> stop() {
    closing = true;
    flushNow();
    Promise<Void> drained = Promise.promise();
    awaitDrained(drained, System.currentTimeMillis() + settings.drainTimeoutMs());
    return drained.future()
        .eventually(() -> onSpool(() -> {
          spool.close();
          return null;
        }))
        .eventually(spoolThread::close);
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
    if (!spooling && spoolDepth == 0) {
      return store.findByRequestId(requestId, method, params);
    }
    return onSpool(() -> spool.findDecision(requestId)).compose(found -> found == null
        ? store.findByRequestId(requestId, method, params)
        : Future.succeededFuture(new StoredOutcome(method.equals(found.getString("method"))
            && params.equals(found.getJsonObject("input_params")), found.getJsonObject("output_result"), null)));
  }

  /** Rows accepted and not yet durable. */
  public int pendingWrites() {
    return accepted.get();
  }

  public long spoolDepth() {
    return spoolDepth;
  }

  /** True while rows go to the spool rather than to PostgreSQL. */
  public boolean spooling() {
    return spooling;
  }

  private Future<Boolean> append(Object entry, boolean claim) {
    boolean fallback = entry instanceof FallbackRecord;
    if (accepted.incrementAndGet() > settings.queueCapacity()) {
      accepted.decrementAndGet();
      return Future.failedFuture(new RpcException(ErrorCodes.OVERLOADED,
          "Overloaded: the decision log holds decision_log.queue_capacity=" + settings.queueCapacity() + " unwritten rows"));
    }
    // Fallback rows may fill half the queue at most, so decisions always find room.
    if (fallback && fallbacksAccepted.incrementAndGet() > settings.queueCapacity() / 2) {
      fallbacksAccepted.decrementAndGet();
      accepted.decrementAndGet();
      return Future.failedFuture(new RpcException(ErrorCodes.OVERLOADED, "Overloaded: the decision log holds "
          + settings.queueCapacity() / 2 + " unwritten fallback rows (half of decision_log.queue_capacity)"));
    }
    Pending pending = new Pending(entry, Vertx.currentContext(), claim);
    context.runOnContext(v -> enqueue(pending));
    return pending.promise.future();
  }

  private void enqueue(Pending pending) {
    // A claim's caller is waiting for its answer, like a decision's.
    (pending.entry instanceof FallbackRecord && !pending.claim ? fallbacks : decisions).add(pending);
    // An idle writer flushes at once; while a flush is under way, rows gather for the next group commit.
    if (queued() >= settings.maxBatch() || settings.maxDelayMs() == 0 || flushesInFlight == 0) {
      flushNow();
    } else if (flushTimer < 0) {
      flushAfter(settings.maxDelayMs());
    }
  }

  private void flushNow() {
    if (flushTimer >= 0) {
      vertx.cancelTimer(flushTimer);
      flushTimer = -1;
    }
    // The spool is one thread with one fsync per append, so while spooling one flush at a time gathers
    // everything waiting into one durable write, instead of queueing many small ones behind each other.
    int maxFlushes = spooling ? 1 : settings.maxConcurrentFlushes();
    int maxRows = spooling ? Math.max(REPLAY_BATCH, settings.maxBatch()) : settings.maxBatch();
    while (queued() > 0 && flushesInFlight < maxFlushes && laneOpen(maxRows)) {
      List<Pending> batch = new ArrayList<>(Math.min(queued(), maxRows));
      while (!decisions.isEmpty() && batch.size() < maxRows) {
        batch.add(decisions.poll());
      }
      while (!fallbacks.isEmpty() && batch.size() < maxRows) {
        batch.add(fallbacks.poll());
      }
      flushesInFlight++;
      write(batch).onComplete(done -> {
        flushesInFlight--;
        if (queued() > 0) {
          flushNow();
        }
      });
    }
    if (queued() > 0 && flushesInFlight > 0 && flushesInFlight < maxFlushes && flushTimer < 0) {
      flushAfter(Math.max(1, settings.overlapAfterMs() - oldestFlushAgeMs()));
    }
  }

  private void flushAfter(long delayMs) {
    flushTimer = vertx.setTimer(delayMs, id -> {
      flushTimer = -1;
      flushNow();
    });
  }

  /**
   * Whether a flush may start beside those in flight: for a full batch, or once the oldest write to PostgreSQL has
   * been out {@code overlapAfterMs}. While PostgreSQL keeps up, rows gather behind the one flush in flight and go in
   * one bigger group commit (fewer commits per row is most of what PostgreSQL saves); a flush held up (a guarded
   * selection waiting on a learner's row lock, a slow disk) opens a second lane for the rows behind it.
   */
  private boolean laneOpen(int maxRows) {
    return flushesInFlight == 0 || queued() >= maxRows || oldestFlushAgeMs() >= settings.overlapAfterMs();
  }

  private long oldestFlushAgeMs() {
    return outstanding.isEmpty() ? Long.MAX_VALUE : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outstanding.getFirst());
  }

  private Future<Void> write(List<Pending> batch) {
    if (spooling) {
      refuseAwaited(batch);
      return toSpool(batch);
    }
    Promise<Void> done = Promise.promise();
    boolean[] decided = {false};
    long started = System.nanoTime();
    outstanding.add(started);
    long timer = vertx.setTimer(settings.flushTimeoutMs(), id -> {
      decided[0] = true;
      String reason = "a flush took longer than spool.flush_timeout_ms=" + settings.flushTimeoutMs();
      // A slow flush while others commit is a spike: spool this batch only and keep writing to PostgreSQL
      // (sending everything to the spool would bury it under a load it cannot replay while it lasts).
      boolean hung = System.nanoTime() - outstanding.getFirst() > HUNG_AFTER_NS;
      if (hung) {
        divert(batch, reason + ", and a write to PostgreSQL has been waiting for over a second").onComplete(done);
      } else {
        // Rows that need PostgreSQL's verdict cannot be spooled: they wait for it, up to the hang limit.
        vertx.setTimer(TimeUnit.NANOSECONDS.toMillis(HUNG_AFTER_NS), late -> refuseAwaited(batch));
        spoolOnly(batch, reason).onComplete(done);
      }
    });
    // Once the batch went to the spool, the spool answers its rows; only the awaited ones wait for this write.
    toPostgres(batch, p -> !decided[0] || awaited(p)).onComplete(written -> {
      outstanding.remove(started);
      if (decided[0]) {
        // Already spooled (if this commit landed too, replay skips the duplicate decision ids); awaited
        // rows still waiting get PostgreSQL's answer here.
        if (written.failed()) {
          refuseAwaited(batch);
        }
        return;
      }
      decided[0] = true;
      vertx.cancelTimer(timer);
      if (written.succeeded()) {
        metrics.flush(batch.size(), false, System.nanoTime() - started);
        done.complete();
      } else if (isOutage(written.cause())) {
        divert(batch, "PostgreSQL is unreachable: " + message(written.cause())).onComplete(done);
      } else {
        isolate(batch).onComplete(done);
      }
    });
    return done.future();
  }

  /**
   * Writes decisions and fallbacks, each group in one transaction, and settles the rows {@code settleable}
   * still allows when it commits (a batch diverted to the spool meanwhile is answered by the spool instead).
   */
  private Future<Void> toPostgres(List<Pending> batch, Predicate<Pending> settleable) {
    List<Pending> decisionRows = new ArrayList<>();
    List<Pending> fallbackRows = new ArrayList<>();
    List<Pending> claimRows = new ArrayList<>();
    for (Pending p : batch) {
      if (!p.settled) {
        (p.entry instanceof DecisionRecord ? decisionRows : p.claim ? claimRows : fallbackRows).add(p);
      }
    }
    Future<Void> decisions = decisionRows.isEmpty() ? Future.succeededFuture()
        : store.insertDecisions(decisionRows.stream().map(p -> (DecisionRecord) p.entry).toList(), false)
            .map(inserted -> {
              for (int i = 0; i < decisionRows.size(); i++) {
                if (settleable.test(decisionRows.get(i))) {
                  settle(decisionRows.get(i), inserted.get(i));
                }
              }
              return null;
            });
    Future<Void> fallbacks = fallbackRows.isEmpty() ? Future.succeededFuture()
        : store.upsertFallbacks(fallbackRows.stream().map(p -> (FallbackRecord) p.entry).toList())
            .map(v -> {
              fallbackRows.stream().filter(settleable).forEach(p -> settle(p, true));
              return null;
            });
    Future<Void> claims = claimRows.isEmpty() ? Future.succeededFuture()
        : store.claimFallbacks(claimRows.stream().map(p -> (FallbackRecord) p.entry).toList())
            .map(inserted -> {
              for (int i = 0; i < claimRows.size(); i++) {
                settle(claimRows.get(i), inserted.get(i));
              }
              return null;
            });
    return Future.all(decisions, fallbacks, claims).mapEmpty();
  }

  /** PostgreSQL refused the batch for its content: write rows one by one so one bad row fails alone. */
  private Future<Void> isolate(List<Pending> batch) {
    List<Future<Void>> singles = new ArrayList<>();
    for (Pending p : batch) {
      if (p.settled) {
        continue;
      }
      singles.add(toPostgres(List.of(p), row -> true).recover(err -> {
        if (isOutage(err)) {
          return divert(List.of(p), "PostgreSQL is unreachable: " + message(err));
        }
        LOG.error("PostgreSQL refused a {} row: {}", p.entry.getClass().getSimpleName(), message(err),
            kv("decision_id", LogCodec.encode(p.entry).getString("decision_id")));
        lastError.record("decision log row refused: " + message(err));
        fail(p, new RpcException(ErrorCodes.INTERNAL_ERROR, "Internal error: the decision could not be recorded"));
        return Future.succeededFuture();
      }));
    }
    return Future.join(singles).mapEmpty();
  }

  private Future<Void> divert(List<Pending> batch, String reason) {
    refuseAwaited(batch);
    outageToReport = true;
    if (!spooling) {
      spooling = true;
      LOG.warn("Writing decisions to the spool in {}: {}", settings.spoolDir(), reason);
      lastError.record("decision log spooling: " + reason);
    }
    return toSpool(batch);
  }

  /** One late batch to the spool; later rows still go to PostgreSQL, and replay brings this one there. */
  private Future<Void> spoolOnly(List<Pending> batch, String reason) {
    long held = SLOW_FLUSH.pass();
    if (held >= 0) {
      LOG.warn("Spooled a batch of {} rows for replay: {} ({} more since the last such line)", batch.size(), reason, held);
    }
    lastError.record("decision log: " + reason);
    return toSpool(batch);
  }

  private Future<Void> toSpool(List<Pending> batch) {
    List<Pending> rows = batch.stream().filter(p -> !p.settled && !awaited(p)).toList();
    if (rows.isEmpty()) {
      return Future.succeededFuture();
    }
    List<JsonObject> encoded = rows.stream().map(p -> LogCodec.encode(p.entry)).toList();
    spoolAppendsInFlight++;
    long started = System.nanoTime();
    return onSpool(() -> new Appended(spool.append(encoded), spool.depth())).transform(appended -> {
      spoolAppendsInFlight--;
      if (appended.succeeded()) {
        metrics.flush(rows.size(), true, System.nanoTime() - started);
        List<Boolean> added = appended.result().added();
        spoolDepth = appended.result().depth();
        for (int i = 0; i < rows.size(); i++) {
          settle(rows.get(i), added.get(i));
        }
      } else {
        LOG.error("The spool refused {} rows; their callers get an error: {}", rows.size(), message(appended.cause()));
        lastError.record("spool write failed: " + message(appended.cause()));
        rows.forEach(p -> fail(p, new RpcException(ErrorCodes.INTERNAL_ERROR, "Internal error: the decision could not be recorded")));
      }
      startReplay();
      return Future.<Void>succeededFuture();
    });
  }

  /**
   * Rows whose answer depends on PostgreSQL's verdict are never spooled, and get an error when it does not come:
   * <ul>
   *   <li>a row with a request_id: only the unique index knows whether another decision took that id first (a
   *       decision evicted from the cache, a retry on another process). Spooled, it would be a second decision for
   *       the id, so its caller gets a retriable -32003 and decides nothing; if the write commits after all, a retry
   *       finds it and gets it as the first answer.</li>
   *   <li>a guarded selection: replay could not check its guard, so two service instances might both show a capped
   *       loop. Its caller gets -32000 (the HTTP edge answers with the default decision); if the write commits after
   *       all, the exposure it adds only makes caps stricter.</li>
   * </ul>
   */
  private void refuseAwaited(List<Pending> batch) {
    for (Pending p : batch) {
      if (hasRequestId(p)) {
        fail(p, RpcException.retryLater("PostgreSQL did not confirm in time whether this request_id was already"
            + " decided; nothing was decided, retry later", RETRY_AFTER_MS));
      } else if (p.entry instanceof DecisionRecord d && d.guarded()) {
        fail(p, new RpcException(ErrorCodes.ORCHESTRATOR_ERROR,
            "The selection could not be checked against PostgreSQL in time; no loop was selected"));
      }
    }
  }

  private static boolean awaited(Pending p) {
    return hasRequestId(p) || p.entry instanceof DecisionRecord d && d.guarded();
  }

  private static boolean hasRequestId(Pending p) {
    return p.claim || p.entry instanceof DecisionRecord d && d.requestId() != null;
  }

  private void startReplay() {
    if (schemaReady && !replaying && (spooling || spoolDepth > 0) && !closing) {
      replaying = true;
      replayNext(REPLAY_FIRST_BACKOFF_MS);
    }
  }

  /** Drains the spool oldest first; a failure keeps what is left and retries with backoff. */
  private void replayNext(long backoffMs) {
    if (closing) {
      replaying = false;
      return;
    }
    onSpool(() -> spool.head(Math.max(REPLAY_BATCH, settings.maxBatch()))).compose(head -> {
      if (head.isEmpty()) {
        return Future.succeededFuture(false);
      }
      return replay(head).map(true);
    }).onComplete(result -> {
      if (closing) {
        replaying = false; // the spool is closing under it; the next start replays what is left
      } else if (result.failed()) {
        LOG.warn("Spool replay paused ({} entries left), retrying in {} ms: {}", spoolDepth, backoffMs, message(result.cause()));
        vertx.setTimer(backoffMs, id -> replayNext(Math.min(backoffMs * 2, REPLAY_MAX_BACKOFF_MS)));
      } else if (result.result() || spoolAppendsInFlight > 0) {
        replayNext(REPLAY_FIRST_BACKOFF_MS);
      } else {
        replaying = false;
        spooling = false;
        if (outageToReport) {
          LOG.info("Spool drained; writing decisions to PostgreSQL directly again");
          outageToReport = false;
        }
      }
    });
  }

  private Future<Void> replay(List<Spool.Stored> head) {
    long last = head.get(head.size() - 1).seq();
    return applyReplay(head).recover(err -> isOutage(err) ? Future.failedFuture(err) : replayOneByOne(head))
        .compose(v -> onSpool(() -> {
          spool.deleteThrough(last);
          return spool.depth();
        }))
        .map(depth -> {
          spoolDepth = depth;
          return null;
        });
  }

  private Future<Void> applyReplay(List<Spool.Stored> entries) {
    List<DecisionRecord> decisions = new ArrayList<>();
    List<FallbackRecord> fallbacks = new ArrayList<>();
    for (Spool.Stored stored : entries) {
      Object entry = LogCodec.decode(stored.body());
      if (entry instanceof DecisionRecord d) {
        decisions.add(d);
      } else {
        fallbacks.add((FallbackRecord) entry);
      }
    }
    Future<?> d = decisions.isEmpty() ? Future.succeededFuture() : store.insertDecisions(decisions, true);
    Future<?> f = fallbacks.isEmpty() ? Future.succeededFuture() : store.upsertFallbacks(fallbacks);
    return Future.all(d, f).timeout(REPLAY_TIMEOUT_MS, TimeUnit.MILLISECONDS).mapEmpty();
  }

  /** A batch PostgreSQL refuses for its content: apply entries alone, and set aside the ones it refuses. */
  private Future<Void> replayOneByOne(List<Spool.Stored> head) {
    Future<Void> chain = Future.succeededFuture();
    for (Spool.Stored stored : head) {
      chain = chain.compose(v -> applyReplay(List.of(stored)).recover(err -> {
        if (isOutage(err)) {
          return Future.failedFuture(err);
        }
        LOG.error("PostgreSQL refused spooled entry {}; moved to the spool's rejected table: {}", stored.seq(), message(err));
        lastError.record("spooled entry " + stored.seq() + " rejected: " + message(err));
        return onSpool(() -> {
          spool.reject(stored, message(err));
          return null;
        }).mapEmpty();
      }));
    }
    return chain;
  }

  private void settle(Pending p, Inserted inserted) {
    if (inserted == Inserted.STALE) {
      fail(p, new StaleSelection());
    } else {
      settle(p, inserted == Inserted.YES);
    }
  }

  private void settle(Pending p, boolean inserted) {
    if (!p.settled) {
      p.settled = true;
      release(p);
      deliver(p, () -> p.promise.complete(inserted));
    }
  }

  private void fail(Pending p, Throwable err) {
    if (!p.settled) {
      p.settled = true;
      release(p);
      deliver(p, () -> p.promise.fail(err));
    }
  }

  private void release(Pending p) {
    accepted.decrementAndGet();
    if (p.entry instanceof FallbackRecord) {
      fallbacksAccepted.decrementAndGet();
    }
  }

  private int queued() {
    return decisions.size() + fallbacks.size();
  }

  private void deliver(Pending p, Runnable completion) {
    if (p.caller == null || p.caller == context) {
      completion.run();
    } else {
      p.caller.runOnContext(v -> completion.run());
    }
  }

  private void awaitDrained(Promise<Void> drained, long deadline) {
    if (accepted.get() == 0 && flushesInFlight == 0 && spoolAppendsInFlight == 0) {
      drained.complete();
    } else if (System.currentTimeMillis() > deadline) {
      LOG.error("Drain timeout: {} decisions were accepted but are not durable", accepted.get());
      drained.complete();
    } else {
      flushNow();
      vertx.setTimer(DRAIN_POLL_MS, id -> awaitDrained(drained, deadline));
    }
  }

  private <T> Future<T> onSpool(Callable<T> work) {
    return spoolThread.executeBlocking(work, true);
  }

  /** Connection-level failures mean "PostgreSQL is not there"; SQL errors mean "this data is refused". */
  static boolean isOutage(Throwable err) {
    if (err instanceof PgException pg) {
      String state = pg.getSqlState();
      return state != null && (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53"));
    }
    return true;
  }

  private static String message(Throwable err) {
    return err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
  }
}
