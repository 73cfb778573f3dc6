package viralengine.metrics;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scrapes /metrics before and after real requests: each series moves by exactly what was sent. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  /** {@code series → value}, where a series is the name with its labels as Micrometer prints them. */
  static Map<String, Double> scrape() {
    Map<String, Double> values = new HashMap<>();
    for (String line : svc.get("/metrics").bodyAsString().split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        int space = line.lastIndexOf(' ');
        values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return values;
  }

  static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
    assertTrue(after.containsKey(series), "missing series " + series);
    return after.get(series) - before.getOrDefault(series, 0.0);
  }

  static String requests(String suffix, String method, String outcome) {
    return "viral_rpc_requests_seconds_" + suffix + "{method=\"" + method + "\",outcome=\"" + outcome + "\"}";
  }

  @Test
  void countersAndHistogramsMoveByWhatWasSentPerMethodAndErrorCode() {
    Map<String, Double> before = scrape();
    String run = Long.toString(System.nanoTime());
    for (int i = 0; i < 3; i++) {
      svc.rpc("trigger_event", new JsonObject().put("event_type", "session_ended").put("user_id", "m").put("request_id", run + i));
    }
    svc.rpc("trigger_event", new JsonObject().put("event_type", "session_ended").put("user_id", "m").put("request_id", run + 0));
    svc.rpc("select_loop", new JsonObject().put("user_id", "m"));
    svc.rpc("select_loop", new JsonObject().put("user_id", "m"));
    svc.rpc("trigger_event", new JsonObject().put("event_type", "nope").put("user_id", "m"));
    svc.post("/mcp/orchestrator", new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "teleport"));
    svc.post("/mcp/orchestrator", "{not json");
    Map<String, Double> after = scrape();

    assertEquals(4, delta(before, after, requests("count", "trigger_event", "ok")), "3 new + 1 replayed");
    assertEquals(2, delta(before, after, requests("count", "select_loop", "ok")));
    assertEquals(1, delta(before, after, requests("count", "trigger_event", "-32602")));
    assertEquals(1, delta(before, after, requests("count", "other", "-32601")));
    assertEquals(1, delta(before, after, requests("count", "invalid", "-32700")));
    String inf = "viral_rpc_requests_seconds_bucket{method=\"trigger_event\",outcome=\"ok\",le=\"+Inf\"}";
    assertEquals(4, delta(before, after, inf), "the histogram counted every request");
    assertTrue(delta(before, after, requests("sum", "trigger_event", "ok")) > 0, "and their time");

    assertEquals(3, delta(before, after, "viral_events_total{event_type=\"session_ended\"}"), "a replay records no event");
    assertEquals(5, delta(before, after, "viral_decisions_total{loop=\"none\",outcome=\"no_eligible_loop\"}"));
    assertEquals(1, delta(before, after, "viral_idempotency_cache_total{result=\"hit\"}"));
    assertEquals(3, delta(before, after, "viral_idempotency_cache_total{result=\"miss\"}"));
    assertEquals(5, delta(before, after, "viral_decision_log_batch_size_sum"), "five decision rows were flushed");
    assertEquals(1.0, after.get("viral_circuit_breaker_state{state=\"closed\"}"));
    assertEquals(0.0, after.get("viral_circuit_breaker_state{state=\"open\"}"));
    assertEquals(0.0, after.get("viral_decision_log_pending"));
    assertEquals(0.0, after.get("viral_spool_depth"));
    assertTrue(after.get("process_uptime_seconds") > 0);
    assertTrue(after.keySet().stream().anyMatch(s -> s.startsWith("vertx_http_server_requests_total")), "Vert.x HTTP metrics stay on");
    assertTrue(after.keySet().stream().anyMatch(s -> s.startsWith("vertx_pool_")), "pool metrics stay on");
    assertTrue(after.keySet().stream().anyMatch(s -> s.startsWith("vertx_eventbus_")), "event-bus metrics stay on");
  }
}
