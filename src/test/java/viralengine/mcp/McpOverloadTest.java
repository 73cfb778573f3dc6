package viralengine.mcp;

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
import static viralengine.mcp.McpHttp.modernRequest;
import static viralengine.mcp.McpHttp.toolCall;
import static viralengine.support.TestService.await;

/** Tool calls are rate-limited like JSON-RPC: beyond limits.max_concurrent_requests in flight, 503 with Retry-After. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class McpOverloadTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("http", new JsonObject().put("instances", 1))
        .put("limits", new JsonObject().put("max_concurrent_requests", 1))
        .put("orchestrator", new JsonObject().put("timeout_ms", 2_000).put("test_delay_ms", 300)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aCallBeyondTheInFlightBoundIs503WithRetryAfterAndMinus32003() {
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JsonObject message = modernRequest(i, "tools/call", toolCall("select_loop", new JsonObject().put("user_id", "busy-" + i)));
      var request = svc.http.post(svc.port, "127.0.0.1", McpEndpoint.PATH)
          .putHeader("content-type", "application/json").putHeader("accept", McpHttp.ACCEPT);
      McpHttp.modernHeaders(message).forEach(h -> request.putHeader(h.getKey(), h.getValue()));
      calls.add(request.sendBuffer(Buffer.buffer(message.encode())));
    }
    await(Future.join(calls));
    long shed = calls.stream().filter(c -> c.result().statusCode() == 503).count();
    assertTrue(shed >= 1, "at least one call was shed");
    HttpResponse<Buffer> rejected = calls.stream().map(Future::result).filter(r -> r.statusCode() == 503).findFirst().orElseThrow();
    assertEquals("1", rejected.getHeader("retry-after"));
    assertEquals(-32003, rejected.bodyAsJsonObject().getJsonObject("error").getInteger("code"));
    assertTrue(calls.stream().anyMatch(c -> c.result().statusCode() == 200), "the first call was served");
  }
}
