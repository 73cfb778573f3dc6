package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Group commit: rows wait at most {@code maxDelayMs}, or until {@code maxBatch} are pending, and go out as one batch;
 * decisions ahead of fallbacks, so a storm of fallback rows (an open circuit) never delays the decisions that close
 * it. Few flushes are in flight at once, so that rows gather into bigger batches while PostgreSQL keeps up.
 */
final class GroupCommit {
  private final Vertx vertx;
  private final DecisionLog.Settings settings;
  private final Settlement settlement;
  private final SpoolSwitch spool;
  private final Flush.Writer writer;
  private final ArrayDeque<Pending> decisions = new ArrayDeque<>();
  private final ArrayDeque<Pending> fallbacks = new ArrayDeque<>();
  /** Start times of writes to PostgreSQL not yet answered (a timed-out one stays until it ends), oldest first. */
  private final ArrayDeque<Long> outstanding = new ArrayDeque<>();
  private long flushTimer = -1;
  private int flushesInFlight;

  GroupCommit(Vertx vertx, DecisionLog.Settings settings, Settlement settlement, SpoolSwitch spool,
      java.util.function.Function<ArrayDeque<Long>, Flush.Writer> writer) {
    this.vertx = vertx;
    this.settings = settings;
    this.settlement = settlement;
    this.spool = spool;
    this.writer = writer.apply(outstanding);
  }

  void enqueue(Pending pending) {
    (pending.background() ? fallbacks : decisions).add(pending);
    // An idle writer flushes at once; while a flush is under way, rows gather for the next group commit.
    if (queued() >= settings.maxBatch() || settings.maxDelayMs() == 0 || flushesInFlight == 0) {
      flushNow();
    } else if (flushTimer < 0) {
      flushAfter(settings.maxDelayMs());
    }
  }

  /** Nothing queued and nothing in flight (the drain waits for this). */
  boolean idle() {
    return queued() == 0 && flushesInFlight == 0;
  }

  void flushNow() {
    if (flushTimer >= 0) {
      vertx.cancelTimer(flushTimer);
      flushTimer = -1;
    }
    // The spool is one thread with one fsync per append, so while spooling one flush at a time gathers
    // everything waiting into one durable write, instead of queueing many small ones behind each other.
    boolean spooling = spool.spooling();
    int maxFlushes = spooling ? 1 : settings.maxConcurrentFlushes();
    int maxRows = spooling ? Math.max(DecisionLog.REPLAY_BATCH, settings.maxBatch()) : settings.maxBatch();
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

  private Future<Void> write(List<Pending> batch) {
    if (spool.spooling()) {
      settlement.refuseAwaited(batch);
      return spool.toSpool(batch);
    }
    return Flush.write(writer, batch);
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

  private int queued() {
    return decisions.size() + fallbacks.size();
  }
}
