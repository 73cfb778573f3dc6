package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.api.EventTypes;
import viralengine.api.Requests;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Ready means warm: before the service reports itself ready, it rehearses the decision path through the same code a
 * request takes, from its own HTTP port (the connection, the token gate it is let past, JSON-RPC parsing, validation,
 * the event bus, the learner read, the checks, the bandit, the answer, the batch insert) with calls whose writes are
 * rolled back. A fresh JVM interprets its first thousands of decisions and a fresh connection plans its first
 * statements; without this, the first real callers paid for both, past the SLA, and opened the breaker.
 *
 * <p>It stops after {@code calls} decisions or {@code budgetMs}, whichever comes first, with a few calls in flight
 * at a time on a few connections, as real callers would have.
 */
public final class Warmup {
  private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
  static final int IN_FLIGHT = 8;
  /** Synthetic learners, so some decisions find their state kept and some read it. */
  static final int LEARNERS = 64;
  private static final long CALL_TIMEOUT_MS = 5_000;

  /**
   * This process's own synthetic learners: two processes warming up on one database would otherwise wait on each
   * other's row locks (the guard's learners rows) in their rolled-back writes.
   */
  private final String prefix = "warmup-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final HttpClient client;
  private final Rehearsal rehearsal;
  private final String host;
  private final int calls;
  private final long startNanos = System.nanoTime();
  private final long deadlineNanos;
  private int sent;
  private int done;
  private int failed;

  private Warmup(HttpClient client, Rehearsal rehearsal, String host, int calls, long budgetMs) {
    this.client = client;
    this.rehearsal = rehearsal;
    this.host = host;
    this.calls = calls;
    this.deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(budgetMs);
  }

  /**
   * Rehearses up to {@code calls} decisions within {@code budgetMs} against this process's HTTP port, reached on
   * {@code host} (where this process reaches its own HTTP server); completes with how many were decided.
   */
  public static Future<Integer> run(Vertx vertx, Rehearsal rehearsal, String host, int calls, long budgetMs) {
    if (calls == 0 || budgetMs == 0) {
      return Future.succeededFuture(0);
    }
    HttpClient client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(IN_FLIGHT));
    Warmup warmup = new Warmup(client, rehearsal, host, calls, budgetMs);
    Promise<Integer> finished = Promise.promise();
    for (int i = 0; i < IN_FLIGHT; i++) {
      warmup.next(finished);
    }
    return finished.future().eventually(client::close);
  }

  private void next(Promise<Integer> finished) {
    if (sent >= calls || System.nanoTime() > deadlineNanos) {
      if (done == sent && !finished.future().isComplete()) {
        report();
        finished.complete(done - failed);
      }
      return;
    }
    int n = sent++;
    String method = n % 4 == 3 ? Requests.TRIGGER_EVENT : Requests.SELECT_LOOP;
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", n).put("method", method).put("params", params(n));
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(rehearsal.port())
        .setURI("/mcp/orchestrator/" + method).setTimeout(CALL_TIMEOUT_MS)
        .putHeader("content-type", "application/json").putHeader(Rehearsal.HEADER, rehearsal.secret());
    client.request(options)
        .compose(request -> request.send(body.toBuffer()))
        .compose(HttpClientResponse::body)
        .onComplete(answer -> {
          done++;
          if (answer.failed() || !decided(answer.result())) {
            failed++;
          }
          next(finished);
        });
  }

  private static boolean decided(Buffer body) {
    try {
      return new JsonObject(body).containsKey("result");
    } catch (RuntimeException notJson) {
      return false;
    }
  }

  private void report() {
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    if (failed == 0) {
      LOG.info("Warm-up: {} decisions rehearsed through the HTTP edge and the decision path in {} ms (writes rolled"
          + " back)", done, ms);
    } else {
      LOG.warn("Warm-up: {} decisions rehearsed in {} ms, {} of them not decided (writes rolled back)", done, ms, failed);
    }
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
}
