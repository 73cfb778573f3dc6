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
 * Over real HTTP: answers later than limits.target_latency_ms lower the in-flight bound, and what is
 * beyond the lowered bound is shed at once with -32003 and Retry-After. How the bound moves window by
 * window (down, back up, the floor, one pause) is in admission.AdmissionTest.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdaptiveAdmissionTest {
  static final int MAX = 40;
  static TestService svc;
  /** Enough connections that every request of a wave is in flight at once. */
  static WebClient client;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("http", new JsonObject().put("instances", 1))
        .put("limits", new JsonObject().put("max_concurrent_requests", MAX).put("target_latency_ms", 50))
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 1_000))
        .put("orchestrator", new JsonObject().put("test_delay_ms", 120).put("timeout_ms", 5_000)));
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

  static int gauge(String name) {
    for (String line : svc.get("/metrics").bodyAsString().split("\n")) {
      if (line.startsWith(name + " ")) {
        return (int) Double.parseDouble(line.substring(name.length() + 1));
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  @Test
  void lateAnswersLowerTheBoundAndTheExcessIsShedAtOnce() {
    assertEquals(Admission.INITIAL_LIMIT, gauge("viral_admission_limit"), "the bound starts at its initial value");
    for (int wave = 0; wave < 30 && gauge("viral_admission_limit") > Admission.INITIAL_LIMIT / 2; wave++) {
      List<HttpResponse<Buffer>> slow = concurrently(gauge("viral_admission_limit"), "slow");
      assertTrue(slow.stream().allMatch(r -> r.statusCode() == 200), "a wave the size of the bound is admitted whole");
    }
    int lowered = gauge("viral_admission_limit");
    assertTrue(lowered <= Admission.INITIAL_LIMIT / 2, "answers 120 ms late lowered the bound, got " + lowered);

    List<HttpResponse<Buffer>> burst = concurrently(MAX, "burst");
    long shed = burst.stream().filter(r -> r.statusCode() == 503).count();
    assertEquals(MAX - lowered, shed, "only the lowered bound is admitted; the excess is shed at once");
    HttpResponse<Buffer> refused = burst.stream().filter(r -> r.statusCode() == 503).findFirst().orElseThrow();
    JsonObject error = refused.bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32003, error.getInteger("code"));
    assertTrue(error.getString("message").contains("limits.target_latency_ms"), error.getString("message"));
    assertEquals("1", refused.getHeader("retry-after"));
    assertEquals(0, gauge("viral_requests_in_flight"));
    assertEquals(MAX - shed, svc.count("SELECT count(*) FROM agent_decisions WHERE input_params->>'user_id' = 'burst'"),
        "shed requests leave no rows");
  }
}
