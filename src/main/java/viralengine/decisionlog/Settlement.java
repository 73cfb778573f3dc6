package viralengine.decisionlog;

import io.vertx.core.Vertx;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.FallbackRecord;
import viralengine.store.Inserted;
import viralengine.store.StaleSelection;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission and settlement: how many rows the log holds unwritten (bounded, with fallbacks at most half), and how
 * each row's caller learns its fate, once, on the caller's own context.
 */
final class Settlement {
  private final int capacity;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger fallbacksAccepted = new AtomicInteger();

  Settlement(int capacity) {
    this.capacity = capacity;
  }

  /** Takes the row in, or says why not (the queue is full): null when admitted. */
  RpcException admit(Object entry) {
    if (accepted.incrementAndGet() > capacity) {
      accepted.decrementAndGet();
      return new RpcException(ErrorCodes.OVERLOADED,
          "Overloaded: the decision log holds decision_log.queue_capacity=" + capacity + " unwritten rows");
    }
    // Fallback rows may fill half the queue at most, so decisions always find room.
    if (entry instanceof FallbackRecord && fallbacksAccepted.incrementAndGet() > capacity / 2) {
      fallbacksAccepted.decrementAndGet();
      accepted.decrementAndGet();
      return new RpcException(ErrorCodes.OVERLOADED, "Overloaded: the decision log holds "
          + capacity / 2 + " unwritten fallback rows (half of decision_log.queue_capacity)");
    }
    return null;
  }

  /** Rows accepted and not yet durable. */
  int pending() {
    return accepted.get();
  }

  void settle(Pending p, Inserted inserted) {
    if (inserted == Inserted.STALE) {
      fail(p, new StaleSelection());
    } else {
      settle(p, inserted == Inserted.YES);
    }
  }

  void settle(Pending p, boolean inserted) {
    if (!p.settled) {
      p.settled = true;
      release(p);
      deliver(p, () -> p.promise.complete(inserted));
    }
  }

  void fail(Pending p, Throwable err) {
    if (!p.settled) {
      p.settled = true;
      release(p);
      deliver(p, () -> p.promise.fail(err));
    }
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
  void refuseAwaited(List<Pending> batch) {
    for (Pending p : batch) {
      if (p.hasRequestId()) {
        fail(p, RpcException.retryLater("PostgreSQL did not confirm in time whether this request_id was already"
            + " decided; retry later with the same request_id, which gets its one decision", DecisionLog.RETRY_AFTER_MS));
      } else if (p.guarded()) {
        fail(p, new RpcException(ErrorCodes.ORCHESTRATOR_ERROR,
            "The selection could not be checked against PostgreSQL in time; no loop was selected"));
      }
    }
  }

  private void release(Pending p) {
    accepted.decrementAndGet();
    if (p.entry instanceof FallbackRecord) {
      fallbacksAccepted.decrementAndGet();
    }
  }

  /** Settling happens on the log's context; a caller on another context hears of it there. */
  private static void deliver(Pending p, Runnable completion) {
    if (p.caller == null || p.caller == Vertx.currentContext()) {
      completion.run();
    } else {
      p.caller.runOnContext(v -> completion.run());
    }
  }
}
