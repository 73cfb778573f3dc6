package viralengine.decisionlog;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.PgProxy;
import viralengine.support.TestDatabase;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * The decision log's queue is bounded: with PostgreSQL hanging (a paused proxy) and
 * {@code decision_log.queue_capacity} rows already waiting, a new decision is refused at once with
 * -32003 and leaves no row, while the accepted ones wait and land, once each, when PostgreSQL answers.
 * The flush timeout is long, so nothing is diverted to the spool during the test.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class QueueFullTest {
  static final int CAPACITY = 4;
  /** A refusal takes a few milliseconds; this bound leaves room for a loaded machine. */
  static final long FAST_MS = 500;
  /** Health pings PostgreSQL with a 1 s timeout, so while it hangs health answers in about 1 s. */
  static final long HEALTH_MS = 3_000;
  static Vertx proxyVertx;
  static PgProxy proxy;
  static TestService svc;

  @BeforeAll
  static void start() {
    proxyVertx = Vertx.vertx();
    deactivateLoops(proxyVertx);
    proxy = PgProxy.start(proxyVertx);
    svc = TestService.start(new JsonObject()
        .put("database", new JsonObject().put("url", proxy.url()).put("pool_size", 1))
        // One flush at a time, on the log's connection opened at warm-up: a second flush would open a connection,
        // which a hanging PostgreSQL never completes (an outage: the rows would go to the spool).
        .put("decision_log", new JsonObject().put("queue_capacity", CAPACITY).put("max_batch", 2).put("max_delay_ms", 0)
            .put("max_concurrent_flushes", 1))
        .put("spool", new JsonObject().put("flush_timeout_ms", 20_000))
        .put("orchestrator", new JsonObject().put("timeout_ms", 20_000))
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 100)));
  }

  @AfterAll
  static void stop() {
    proxy.restore();
    svc.close();
    proxy.close();
    await(proxyVertx.close());
  }

  /**
   * No loop may be active at warm-up (another test class may have left some on): with an active loop
   * the orchestrator reads exposures from PostgreSQL before it logs, and would hang before the queue.
   */
  static void deactivateLoops(Vertx vertx) {
    Pool pool = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(TestDatabase.get().url())).using(vertx).build();
    try {
      await(pool.query("DO $$ BEGIN IF to_regclass('viral_loops') IS NOT NULL THEN"
          + " UPDATE viral_loops SET active = false; END IF; END $$").execute());
    } finally {
      await(pool.close());
    }
  }

  static JsonObject event(String requestId) {
    return new JsonObject().put("event_type", "practice_completed").put("user_id", "queue-full").put("request_id", requestId)
        .put("context", new JsonObject().put("skill", "fractions"));
  }

  static Future<HttpResponse<Buffer>> send(String requestId) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", requestId).put("method", "trigger_event")
        .put("params", event(requestId));
    return svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator/trigger_event").putHeader("content-type", "application/json")
        .sendBuffer(request.toBuffer());
  }

  static JsonObject health() {
    return svc.get("/mcp/orchestrator/health").bodyAsJsonObject();
  }

  static JsonObject awaitHealth(String what, java.util.function.Predicate<JsonObject> done) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (true) {
      JsonObject health = health();
      if (done.test(health)) {
        return health;
      }
      assertTrue(System.currentTimeMillis() < deadline, what + ": " + health.encode());
      Thread.sleep(20);
    }
  }

  @Test
  void aFullQueueRefusesNewDecisionsAtOnceAndTheAcceptedOnesLandOnceWhenPostgresAnswers() throws Exception {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    // The pool's only connection is open before PostgreSQL hangs.
    assertNotNull(svc.rpc("trigger_event", event("qf-" + tag + "-warm")).getJsonObject("result"));

    // 1. PostgreSQL hangs; CAPACITY decisions are accepted and wait.
    proxy.pause();
    List<String> acceptedIds = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> accepted = new ArrayList<>();
    for (int i = 0; i < CAPACITY; i++) {
      acceptedIds.add("qf-" + tag + "-accepted-" + i);
      accepted.add(send(acceptedIds.get(i)));
    }
    // Health pings PostgreSQL through the same one-connection pool: let the first flush take the
    // connection before the first ping, or the flush waits behind the hung ping and, after the pool's
    // 2 s lease timeout, counts PostgreSQL as unreachable and spools.
    Thread.sleep(500);
    JsonObject waiting = awaitHealth("the accepted decisions wait", h -> h.getInteger("pending_writes") == CAPACITY);
    assertEquals(false, waiting.getJsonObject("spool").getBoolean("active"), "nothing was diverted to the spool");
    assertTrue(accepted.stream().noneMatch(Future::isComplete), "the accepted decisions are not answered yet");

    // 2. The queue is full: each further decision is refused fast with -32003, and health still answers.
    List<String> shedIds = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      shedIds.add("qf-" + tag + "-shed-" + i);
      long sent = System.nanoTime();
      JsonObject response = await(send(shedIds.get(i))).bodyAsJsonObject();
      long tookMs = (System.nanoTime() - sent) / 1_000_000;
      assertNotNull(response.getJsonObject("error"), response.encode());
      assertEquals(-32003, response.getJsonObject("error").getInteger("code"), response.encode());
      assertTrue(response.getJsonObject("error").getString("message").contains("queue_capacity=" + CAPACITY),
          response.getJsonObject("error").getString("message"));
      assertTrue(tookMs < FAST_MS, "refused in " + tookMs + " ms");
    }
    long asked = System.nanoTime();
    JsonObject during = health();
    long healthMs = (System.nanoTime() - asked) / 1_000_000;
    assertTrue(healthMs < HEALTH_MS, "health answered in " + healthMs + " ms while PostgreSQL hangs");
    assertEquals(CAPACITY, during.getInteger("pending_writes"), during.encode());
    assertEquals("degraded", during.getString("status"), during.encode());
    assertTrue(accepted.stream().noneMatch(Future::isComplete), "the accepted decisions still wait");

    // 3. PostgreSQL answers again: every accepted decision completes with its result, once in the tables.
    proxy.restore();
    for (int i = 0; i < CAPACITY; i++) {
      JsonObject response = await(accepted.get(i)).bodyAsJsonObject();
      JsonObject result = response.getJsonObject("result");
      assertNotNull(result, response.encode());
      UUID decisionId = UUID.fromString(result.getString("decision_id"));
      assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1", acceptedIds.get(i)));
      assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1 AND request_id = $2 AND success",
          decisionId, acceptedIds.get(i)));
      assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE request_id = $1 AND event_id = $2",
          acceptedIds.get(i), UUID.fromString(result.getString("event_id"))));
    }
    String[] shed = shedIds.toArray(String[]::new);
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = ANY($1)"
        + " OR input_params->>'request_id' = ANY($1)", (Object) shed), "refused decisions leave no decision row");
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events WHERE request_id = ANY($1)", (Object) shed),
        "refused decisions leave no event row");

    // 4. Decisions are accepted again, including a retry of a refused request_id (the refusal was not remembered).
    JsonObject retried = svc.rpc("trigger_event", event(shedIds.get(0)));
    assertNotNull(retried.getJsonObject("result"), retried.encode());
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1", shedIds.get(0)));
    JsonObject fresh = svc.rpc("trigger_event", event("qf-" + tag + "-after"));
    assertNotNull(fresh.getJsonObject("result"), fresh.encode());
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1", "qf-" + tag + "-after"));

    JsonObject after = awaitHealth("health recovers", h -> h.getInteger("pending_writes") == 0 && "ok".equals(h.getString("status")));
    assertEquals(0L, after.getJsonObject("spool").getLong("depth"));
  }
}
