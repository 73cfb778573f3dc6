package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.admission.Admission;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * The in-flight bound adapts to answer latency: late answers shrink it (so what is admitted can still
 * answer in time) and answers in time grow it back to limits.max_concurrent_requests.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdaptiveAdmissionTest {
  static final int MAX = 20;
  /** The first wave, and the burst admitted after it (the bound is at its floor by then). */
  static final int SLOW_CALLS = MAX + Admission.MIN_LIMIT;
  static TestService svc;
  /** Enough connections that every request of a wave is in flight at once. */
  static WebClient client;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("http", new JsonObject().put("instances", 1))
        .put("limits", new JsonObject().put("max_concurrent_requests", MAX).put("target_latency_ms", 50))
        .put("circuit_breaker", new JsonObject().put("max_failures", 1_000))
        .put("orchestrator", new JsonObject().put("test_delay_ms", 120).put("test_slow_calls", SLOW_CALLS)
            .put("timeout_ms", 5_000)));
    client = WebClient.create(svc.vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(2 * MAX));
  }

  @AfterAll
  static void stop() {
    client.close();
    svc.close();
  }

  static List<HttpResponse<Buffer>> concurrently(int n, String user) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
        .put("params", new JsonObject().put("user_id", user));
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(client.post(svc.port, "127.0.0.1", "/mcp/orchestrator").putHeader("content-type", "application/json")
          .sendBuffer(request.toBuffer()));
    }
    await(Future.join(calls));
    return calls.stream().map(Future::result).toList();
  }

  static double gauge(String name) {
    for (String line : svc.get("/metrics").bodyAsString().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1));
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  @Test
  void lateAnswersLowerTheBoundAndAnswersInTimeRaiseItAgain() {
    assertEquals(MAX, gauge("viral_admission_limit"), "the bound starts at limits.max_concurrent_requests");

    List<HttpResponse<Buffer>> slow = concurrently(MAX, "slow");
    assertTrue(slow.stream().allMatch(r -> r.statusCode() == 200), "all of the first wave fits the bound");
    assertEquals(Admission.MIN_LIMIT, gauge("viral_admission_limit"),
        "twenty answers later than target_latency_ms cut the bound by a tenth each, down to its floor");

    List<HttpResponse<Buffer>> burst = concurrently(MAX, "burst");
    long shed = burst.stream().filter(r -> r.statusCode() == 503).count();
    assertEquals(MAX - Admission.MIN_LIMIT, shed, "only the lowered bound is admitted; the excess is shed at once");
    HttpResponse<Buffer> refused = burst.stream().filter(r -> r.statusCode() == 503).findFirst().orElseThrow();
    JsonObject error = refused.bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32003, error.getInteger("code"));
    assertTrue(error.getString("message").contains("limits.target_latency_ms"), error.getString("message"));
    assertEquals("1", refused.getHeader("retry-after"));

    // The slow calls are used up: what is admitted now answers in time.
    for (int round = 0; round < 50 && gauge("viral_admission_limit") < MAX; round++) {
      concurrently((int) gauge("viral_admission_limit"), "recover");
    }
    assertEquals(MAX, gauge("viral_admission_limit"), "answers in time raise the bound back to the maximum");
    assertEquals(0, gauge("viral_requests_in_flight"));
  }
}
