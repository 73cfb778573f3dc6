package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.Throttle;
import viralengine.metrics.LastError;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The spool and the switch to it. When PostgreSQL cannot be reached, or a write hangs, every row goes to the spool
 * (one fsync'd SQLite file, on one thread of its own) until replay reaches PostgreSQL again; a single slow batch goes
 * there alone. Rows that need PostgreSQL's verdict never do.
 */
final class SpoolSwitch {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolSwitch.class);
  private static final Throttle SLOW_FLUSH = new Throttle();

  /** What a spool write reports back: which rows it took, and the depth after it. */
  private record Appended(List<Boolean> added, long depth) {}

  private final Path dir;
  private final Settlement settlement;
  private final ServiceMetrics metrics;
  private final LastError lastError;
  private final WorkerExecutor thread;
  /** Replay's trigger: every spool write may have something to drain. */
  private Runnable appended = () -> { };
  private Spool spool;
  /** True from the start: until the schema is migrated, rows wait in the spool. */
  private volatile boolean spooling = true;
  private volatile long depth;
  private int appendsInFlight;
  /** The spool held or took rows since the last "drained" line: worth telling the operator when it empties. */
  private boolean outageToReport;

  SpoolSwitch(Vertx vertx, String name, Path dir, Settlement settlement, ServiceMetrics metrics, LastError lastError) {
    this.dir = dir;
    this.settlement = settlement;
    this.metrics = metrics;
    this.lastError = lastError;
    this.thread = vertx.createSharedWorkerExecutor(name, 1);
  }

  void onAppended(Runnable replay) {
    this.appended = replay;
  }

  Future<Void> open() {
    return onSpool(() -> Spool.open(dir)).map(opened -> {
      spool = opened;
      depth = opened.depth();
      outageToReport = depth > 0;
      if (depth > 0) {
        LOG.warn("Spool {} holds {} entries from an earlier run; replaying them into PostgreSQL once it is migrated",
            dir, depth);
      }
      return null;
    });
  }

  Future<Void> close() {
    return this.<Void>onSpool(() -> {
      spool.close();
      return null;
    }).eventually(thread::close);
  }

  boolean spooling() {
    return spooling;
  }

  long depth() {
    return depth;
  }

  int appendsInFlight() {
    return appendsInFlight;
  }

  /** PostgreSQL is not there (or hangs): this batch and every row after it go to the spool until replay drains it. */
  Future<Void> divert(List<Pending> batch, String reason) {
    settlement.refuseAwaited(batch);
    outageToReport = true;
    if (!spooling) {
      spooling = true;
      LOG.warn("Writing decisions to the spool in {}: {}", dir, reason);
      lastError.record("decision log spooling: " + reason);
    }
    return toSpool(batch);
  }

  /** One late batch to the spool; later rows still go to PostgreSQL, and replay brings this one there. */
  Future<Void> spoolOnly(List<Pending> batch, String reason) {
    long spoolable = batch.stream().filter(p -> !p.awaited()).count();
    long held = spoolable == 0 ? -1 : SLOW_FLUSH.pass();
    if (held >= 0) {
      LOG.warn("Spooled {} rows of a batch of {} for replay (the rest wait for PostgreSQL): {} ({} more since the last"
          + " such line)", spoolable, batch.size(), reason, held);
    }
    lastError.record("decision log: " + reason);
    return toSpool(batch);
  }

  /** The batch's rows that may be spooled, fsync'd; each caller is answered by the spool. */
  Future<Void> toSpool(List<Pending> batch) {
    List<Pending> rows = batch.stream().filter(p -> !p.settled && !p.awaited()).toList();
    if (rows.isEmpty()) {
      appended.run(); // a switch with nothing spooled still needs replay to find PostgreSQL back and switch back
      return Future.succeededFuture();
    }
    List<JsonObject> encoded = rows.stream().map(p -> LogCodec.encode(p.entry)).toList();
    appendsInFlight++;
    long started = System.nanoTime();
    return onSpool(() -> new Appended(spool.append(encoded), spool.depth())).transform(written -> {
      appendsInFlight--;
      if (written.succeeded()) {
        metrics.flush(rows.size(), true, System.nanoTime() - started);
        List<Boolean> added = written.result().added();
        depth = written.result().depth();
        for (int i = 0; i < rows.size(); i++) {
          settlement.settle(rows.get(i), added.get(i));
        }
      } else {
        LOG.error("The spool refused {} rows; their callers get an error: {}", rows.size(),
            DecisionLog.message(written.cause()));
        lastError.record("spool write failed: " + DecisionLog.message(written.cause()));
        rows.forEach(p -> settlement.fail(p, new RpcException(ErrorCodes.INTERNAL_ERROR,
            "Internal error: the decision could not be recorded")));
      }
      appended.run();
      return Future.<Void>succeededFuture();
    });
  }

  /** The spooled decision recorded under this request_id (a spool an earlier version wrote), or null. */
  Future<JsonObject> findDecision(String requestId) {
    return onSpool(() -> spool.findDecision(requestId));
  }

  Future<List<Spool.Stored>> head(int limit) {
    return onSpool(() -> spool.head(limit));
  }

  /** Everything up to {@code seq} is in PostgreSQL now. */
  Future<Void> deleteThrough(long seq) {
    return onSpool(() -> {
      spool.deleteThrough(seq);
      return spool.depth();
    }).map(left -> {
      depth = left;
      return null;
    });
  }

  Future<Void> reject(Spool.Stored stored, String reason) {
    return onSpool(() -> {
      spool.reject(stored, reason);
      return null;
    });
  }

  /**
   * Replay reached PostgreSQL: rows go to it directly again while replay drains what the spool still holds. Only rows
   * that need no verdict were spooled, so the order matters only between one decision's own rows: a default answer
   * that reaches PostgreSQL before the orchestrator's late row for the same decision stands without the late result.
   */
  void postgresAnswers() {
    if (spooling) {
      spooling = false;
      if (outageToReport) {
        LOG.info("PostgreSQL answers again; writing decisions to it directly while replay drains {} spooled rows",
            depth);
      }
    }
  }

  /** Replay found nothing left and no append in flight (after {@link #postgresAnswers()}). */
  void drained() {
    if (outageToReport) {
      LOG.info("Spool drained");
      outageToReport = false;
    }
  }

  private <T> Future<T> onSpool(Callable<T> work) {
    return thread.executeBlocking(work, true);
  }
}
