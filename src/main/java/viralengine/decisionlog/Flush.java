package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.LastError;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.store.DecisionStore;
import viralengine.store.FallbackRecord;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * One batch's write to PostgreSQL, bounded by {@code spool.flush_timeout_ms}. Whichever comes first decides where the
 * batch's rows are answered from: PostgreSQL's commit, or (past the timeout) the spool. A write that times out is not
 * abandoned: the rows that need PostgreSQL's verdict (a request_id, a guard) still wait for it, up to the hang limit.
 */
final class Flush {
  private static final Logger LOG = LoggerFactory.getLogger(Flush.class);

  /** What every flush shares: the writer's parts, and the start times of writes not yet answered, oldest first. */
  record Writer(Vertx vertx, DecisionStore store, Settlement settlement, SpoolSwitch spool, ServiceMetrics metrics,
      LastError lastError, long timeoutMs, ArrayDeque<Long> outstanding) {}

  private final Writer writer;
  private final List<Pending> batch;
  private final Promise<Void> done = Promise.promise();
  private final long started = System.nanoTime();
  /** Set once the batch's rows are answered from somewhere (PostgreSQL, or the spool after the timeout). */
  private boolean decided;

  private Flush(Writer writer, List<Pending> batch) {
    this.writer = writer;
    this.batch = batch;
  }

  /** Writes the batch; completes once every row that may be answered without PostgreSQL's verdict has been. */
  static Future<Void> write(Writer writer, List<Pending> batch) {
    return new Flush(writer, batch).run();
  }

  private Future<Void> run() {
    writer.outstanding().add(started);
    long timer = writer.vertx().setTimer(writer.timeoutMs(), id -> timedOut());
    // Once the batch went to the spool, the spool answers its rows; only the awaited ones wait for this write.
    toPostgres(batch, writer.settlement(), writer.store(), p -> !decided || p.awaited()).onComplete(written -> {
      writer.outstanding().remove(started);
      if (decided) {
        // Already spooled (if this commit landed too, replay skips the duplicate decision ids); awaited rows still
        // waiting get PostgreSQL's answer here.
        if (written.failed()) {
          writer.settlement().refuseAwaited(batch);
        }
        return;
      }
      decided = true;
      writer.vertx().cancelTimer(timer);
      if (written.succeeded()) {
        writer.metrics().flush(batch.size(), false, System.nanoTime() - started);
        done.complete();
      } else if (DecisionLog.isOutage(written.cause())) {
        writer.spool().divert(batch, "PostgreSQL is unreachable: " + DecisionLog.message(written.cause())).onComplete(done);
      } else {
        isolate().onComplete(done);
      }
    });
    return done.future();
  }

  private void timedOut() {
    decided = true;
    String reason = "a flush took longer than spool.flush_timeout_ms=" + writer.timeoutMs();
    // A slow flush while others commit is a spike: spool this batch only and keep writing to PostgreSQL
    // (sending everything to the spool would bury it under a load it cannot replay while it lasts).
    if (System.nanoTime() - writer.outstanding().getFirst() > DecisionLog.HUNG_AFTER_NS) {
      writer.spool().divert(batch, reason + ", and a write to PostgreSQL has been waiting for over a second").onComplete(done);
    } else {
      writer.vertx().setTimer(TimeUnit.NANOSECONDS.toMillis(DecisionLog.HUNG_AFTER_NS),
          late -> writer.settlement().refuseAwaited(batch));
      writer.spool().spoolOnly(batch, reason).onComplete(done);
    }
  }

  /**
   * Writes decisions, fallbacks and claims, each group in one statement, and settles the rows {@code settleable}
   * still allows when it commits (a batch diverted to the spool meanwhile is answered by the spool instead).
   */
  static Future<Void> toPostgres(List<Pending> batch, Settlement settlement, DecisionStore store,
      java.util.function.Predicate<Pending> settleable) {
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
                  settlement.settle(decisionRows.get(i), inserted.get(i));
                }
              }
              return null;
            });
    Future<Void> fallbacks = fallbackRows.isEmpty() ? Future.succeededFuture()
        : store.upsertFallbacks(fallbackRows.stream().map(p -> (FallbackRecord) p.entry).toList())
            .map(v -> {
              fallbackRows.stream().filter(settleable).forEach(p -> settlement.settle(p, true));
              return null;
            });
    Future<Void> claims = claimRows.isEmpty() ? Future.succeededFuture()
        : store.claimFallbacks(claimRows.stream().map(p -> (FallbackRecord) p.entry).toList())
            .map(inserted -> {
              for (int i = 0; i < claimRows.size(); i++) {
                settlement.settle(claimRows.get(i), inserted.get(i));
              }
              return null;
            });
    return Future.all(decisions, fallbacks, claims).mapEmpty();
  }

  /** PostgreSQL refused the batch for its content: write rows one by one so one bad row fails alone. */
  private Future<Void> isolate() {
    List<Future<Void>> singles = new ArrayList<>();
    for (Pending p : batch) {
      if (p.settled) {
        continue;
      }
      singles.add(toPostgres(List.of(p), writer.settlement(), writer.store(), row -> true).recover(err -> {
        if (DecisionLog.isOutage(err)) {
          return writer.spool().divert(List.of(p), "PostgreSQL is unreachable: " + DecisionLog.message(err));
        }
        LOG.error("PostgreSQL refused a {} row: {}", p.entry.getClass().getSimpleName(), DecisionLog.message(err),
            kv("decision_id", LogCodec.encode(p.entry).getString("decision_id")));
        writer.lastError().record("decision log row refused: " + DecisionLog.message(err));
        writer.settlement().fail(p, new RpcException(ErrorCodes.INTERNAL_ERROR,
            "Internal error: the decision could not be recorded"));
        return Future.succeededFuture();
      }));
    }
    return Future.join(singles).mapEmpty();
  }
}
