package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * With the in-flight bound set low, the excess is shed with -32003 while the rest succeed; a shed is held back
 * for limits.shed_delay_ms, so a caller in a retry loop cannot spin the CPU on sheds.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OverloadTest {
  static final int BOUND = 3;
  static final long SHED_DELAY_MS = 150;
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("http", new JsonObject().put("instances", 1))
        .put("limits", new JsonObject().put("max_concurrent_requests", BOUND).put("target_latency_ms", 0)
            .put("shed_delay_ms", SHED_DELAY_MS))
        .put("orchestrator", new JsonObject().put("test_delay_ms", 300).put("timeout_ms", 5_000)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void requestsBeyondTheInFlightBoundGet503WithMinus32003AndRetryAfter() {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
        .put("params", new JsonObject().put("user_id", "busy"));
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    List<Long> tookMs = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < BOUND + 4; i++) {
      long sent = System.nanoTime();
      calls.add(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator").putHeader("content-type", "application/json")
          .sendBuffer(request.toBuffer()).onComplete(done -> {
            if (done.succeeded() && done.result().statusCode() == 503) {
              tookMs.add((System.nanoTime() - sent) / 1_000_000);
            }
          }));
    }
    await(Future.join(calls));
    int ok = 0;
    int shed = 0;
    for (Future<HttpResponse<Buffer>> call : calls) {
      HttpResponse<Buffer> response = call.result();
      if (response.statusCode() == 200) {
        ok++;
        assertTrue(response.bodyAsJsonObject().containsKey("result"));
      } else {
        shed++;
        assertEquals(503, response.statusCode());
        assertEquals("1", response.getHeader("retry-after"));
        assertEquals(-32003, response.bodyAsJsonObject().getJsonObject("error").getInteger("code"));
      }
    }
    assertEquals(BOUND, ok, "exactly the bound was served");
    assertEquals(4, shed);
    assertEquals(4, tookMs.size());
    tookMs.forEach(ms -> assertTrue(ms >= SHED_DELAY_MS, "a shed was answered after " + ms + " ms, before the pause"));
    assertEquals(BOUND, svc.count("SELECT count(*) FROM agent_decisions WHERE input_params->>'user_id' = 'busy'"),
        "shed requests leave no rows");
  }
}
