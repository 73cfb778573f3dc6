package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.metrics.LastError;
import viralengine.store.DecisionRecord;
import viralengine.store.DecisionStore;
import viralengine.store.FallbackRecord;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Drains the spool into PostgreSQL, oldest first, in big batches; a failure keeps what is left and retries with
 * backoff. Idempotent by decision id, so a batch that committed after its flush timed out is not written twice.
 */
final class Replay {
  private static final Logger LOG = LoggerFactory.getLogger(Replay.class);

  private final Vertx vertx;
  private final DecisionStore store;
  private final SpoolSwitch spool;
  private final LastError lastError;
  private final int batch;
  private final Function<Set<String>, Future<Void>> onReplayed;
  private boolean schemaReady;
  private boolean replaying;
  private boolean closing;

  Replay(Vertx vertx, DecisionStore store, SpoolSwitch spool, LastError lastError, int batch,
      Function<Set<String>, Future<Void>> onReplayed) {
    this.onReplayed = onReplayed;
    this.vertx = vertx;
    this.store = store;
    this.spool = spool;
    this.lastError = lastError;
    this.batch = batch;
  }

  /** The schema is migrated: what the spool holds may go to PostgreSQL now. */
  void schemaReady() {
    schemaReady = true;
    start();
  }

  /** The spool is closing under replay; the next start replays what is left. */
  void close() {
    closing = true;
  }

  void start() {
    if (schemaReady && !replaying && (spool.spooling() || spool.depth() > 0) && !closing) {
      replaying = true;
      next(DecisionLog.REPLAY_FIRST_BACKOFF_MS);
    }
  }

  private void next(long backoffMs) {
    if (closing) {
      replaying = false;
      return;
    }
    spool.head(batch).compose(head -> head.isEmpty() ? reachable().map(false) : replay(head).map(true))
        .onComplete(result -> {
          if (closing) {
            replaying = false;
          } else if (result.failed()) {
            LOG.warn("Spool replay paused ({} entries left), retrying in {} ms: {}", spool.depth(), backoffMs,
                DecisionLog.message(result.cause()));
            vertx.setTimer(backoffMs, id -> next(Math.min(backoffMs * 2, DecisionLog.REPLAY_MAX_BACKOFF_MS)));
          } else {
            // PostgreSQL answered (a batch went in, or the ping): new rows go to it again, and replay drains the
            // backlog behind them. Waiting for an empty spool instead never ended under a steady load, which kept
            // the spool's thread busy with appends.
            spool.postgresAnswers();
            if (result.result() || spool.appendsInFlight() > 0 || spool.depth() > 0) {
              next(DecisionLog.REPLAY_FIRST_BACKOFF_MS);
              return;
            }
            replaying = false;
            spool.drained();
            // A flush that appended while this round pinged PostgreSQL found replay still running and did not start
            // it: without this, its rows would wait in the spool for the next outage or restart.
            start();
          }
        });
  }

  /**
   * Before writing to PostgreSQL directly again, it must answer: an empty spool says nothing about it (the rows that
   * switched to the spool may all have needed PostgreSQL's verdict, and were refused rather than spooled).
   */
  private Future<Void> reachable() {
    return store.ping().timeout(DecisionLog.REPLAY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private Future<Void> replay(List<Spool.Stored> head) {
    long last = head.get(head.size() - 1).seq();
    return apply(head).recover(err -> DecisionLog.isOutage(err) ? Future.failedFuture(err) : oneByOne(head))
        .compose(v -> spool.deleteThrough(last));
  }

  private Future<Void> apply(List<Spool.Stored> entries) {
    List<DecisionRecord> decisions = new ArrayList<>();
    List<FallbackRecord> fallbacks = new ArrayList<>();
    Set<String> learners = new HashSet<>();
    for (Spool.Stored stored : entries) {
      Object entry = LogCodec.decode(stored.body());
      if (entry instanceof DecisionRecord d) {
        decisions.add(d);
        if (d.userId() != null) {
          learners.add(d.userId());
        }
      } else {
        FallbackRecord f = (FallbackRecord) entry;
        fallbacks.add(f);
        if (f.params().getValue("user_id") instanceof String userId) {
          learners.add(userId);
        }
      }
    }
    Future<?> d = decisions.isEmpty() ? Future.succeededFuture() : store.insertDecisions(decisions, true);
    Future<?> f = fallbacks.isEmpty() ? Future.succeededFuture() : store.upsertFallbacks(fallbacks);
    return Future.all(d, f).timeout(DecisionLog.REPLAY_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .compose(v -> afterReplay(learners));
  }

  /**
   * Any failure here is retried like an outage (the batch again, after a backoff), never set aside as refused data:
   * the rows went in fine, and what failed is erasing them.
   */
  private Future<Void> afterReplay(Set<String> learners) {
    return onReplayed.apply(learners).timeout(DecisionLog.REPLAY_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(new IllegalStateException("erasing replayed rows of erased learners failed: "
            + DecisionLog.message(err))));
  }

  /** A batch PostgreSQL refuses for its content: apply entries alone, and set aside the ones it refuses. */
  private Future<Void> oneByOne(List<Spool.Stored> head) {
    Future<Void> chain = Future.succeededFuture();
    for (Spool.Stored stored : head) {
      chain = chain.compose(v -> apply(List.of(stored)).recover(err -> {
        if (DecisionLog.isOutage(err)) {
          return Future.failedFuture(err);
        }
        String why = DecisionLog.message(err);
        LOG.error("PostgreSQL refused spooled entry {}; moved to the spool's rejected table: {}", stored.seq(), why);
        lastError.record("spooled entry " + stored.seq() + " rejected: " + why);
        return spool.reject(stored, why);
      }));
    }
    return chain;
  }
}
