package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Ready means warm: before the orchestrator reports itself ready, it rehearses the decision path through the same
 * code a request takes (the event-bus consumer, the parse, the learner read, the checks, the bandit, the answer, the
 * batch insert) with calls whose writes are rolled back. A fresh JVM interprets its first thousands of decisions and a
 * fresh connection plans its first statements; without this, the first real callers paid for both, past the SLA.
 *
 * <p>It stops after {@code calls} decisions or {@code budgetMs}, whichever comes first, with a few calls in flight
 * at a time as real callers would have.
 */
final class Warmup {
  private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
  static final int IN_FLIGHT = 8;
  /** Synthetic learners, so some decisions find their state kept and some read it. */
  static final int LEARNERS = 64;
  private static final long CALL_TIMEOUT_MS = 5_000;

  /**
   * This process's own synthetic learners: two processes warming up on one database would otherwise wait on each
   * other's row locks (the guard's learners rows) in their rolled-back writes.
   */
  private final String prefix = "warmup-" + java.util.UUID.randomUUID().toString().substring(0, 8) + "-";
  private final Vertx vertx;
  private final int calls;
  private final long deadlineNanos;
  private final long startNanos = System.nanoTime();
  private int sent;
  private int done;
  private int failed;

  private Warmup(Vertx vertx, int calls, long budgetMs) {
    this.vertx = vertx;
    this.calls = calls;
    this.deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(budgetMs);
  }

  /** Rehearses up to {@code calls} decisions within {@code budgetMs}; completes with how many ran. */
  static Future<Integer> run(Vertx vertx, int calls, long budgetMs) {
    if (calls == 0 || budgetMs == 0) {
      return Future.succeededFuture(0);
    }
    Warmup warmup = new Warmup(vertx, calls, budgetMs);
    Promise<Integer> finished = Promise.promise();
    for (int i = 0; i < IN_FLIGHT; i++) {
      warmup.next(finished);
    }
    return finished.future();
  }

  private void next(Promise<Integer> finished) {
    if (sent >= calls || System.nanoTime() > deadlineNanos) {
      if (done == sent && !finished.future().isComplete()) {
        report();
        finished.complete(done);
      }
      return;
    }
    int n = sent++;
    vertx.eventBus().request(address(n), params(n), options()).onComplete(reply -> {
      done++;
      if (reply.failed()) {
        failed++;
      }
      next(finished);
    });
  }

  private void report() {
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    if (failed == 0) {
      LOG.info("Warm-up: {} decisions rehearsed through the decision path in {} ms (writes rolled back)", done, ms);
    } else {
      LOG.warn("Warm-up: {} decisions rehearsed in {} ms, {} of them failed (writes rolled back)", done, ms, failed);
    }
  }

  private static String address(int n) {
    return n % 4 == 3 ? OrchestratorApi.TRIGGER_EVENT : OrchestratorApi.SELECT_LOOP;
  }

  private JsonObject params(int n) {
    JsonObject params = new JsonObject()
        .put("user_id", prefix + n % LEARNERS)
        .put("event_type", EventTypes.ALL.get(n % EventTypes.ALL.size()))
        .put("context", new JsonObject().put("warmup", true).put("n", n));
    if (n % 2 == 0) {
      params.put("request_id", prefix + "r" + n);
    }
    return params;
  }

  private static DeliveryOptions options() {
    return new DeliveryOptions().setSendTimeout(CALL_TIMEOUT_MS)
        .addHeader(OrchestratorApi.HEADER_REHEARSAL, "true")
        .addHeader(OrchestratorApi.HEADER_DEADLINE, Long.toString(System.currentTimeMillis() + CALL_TIMEOUT_MS));
  }
}
