package viralengine.connections;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.RawHttp;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Slowloris over real sockets, with deadlines shortened in the test config: partial heads, slow bodies
 * and idle keep-alive connections are closed within their deadlines, the service stays live, and the
 * metrics count each kind. The only timing checked is the deadlines themselves (with a generous upper
 * margin for a busy machine).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowClientTest {
  static final long HEAD_MS = 400;
  static final long BODY_MS = 400;
  static final long IDLE_MS = 800;
  /** However busy the machine, a deadline is kept to within this. */
  static final long SLACK_MS = 4_000;
  static final String PARTIAL_HEAD = "POST /mcp/orchestrator/select_loop HTTP/1.1\r\nHost: x\r\n";
  static TestService svc;
  /** A connection per request: with an idle timeout this short, a pooled keep-alive connection may be reaped under it. */
  static WebClient fresh;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("http", new JsonObject()
        .put("request_head_timeout_ms", HEAD_MS).put("request_body_timeout_ms", BODY_MS).put("idle_timeout_ms", IDLE_MS)));
    fresh = WebClient.create(svc.vertx, new WebClientOptions().setKeepAlive(false));
  }

  @AfterAll
  static void stop() {
    fresh.close();
    svc.close();
  }

  static int live() {
    return await(fresh.get(svc.port, "127.0.0.1", "/health/live").send()).statusCode();
  }

  @Test
  void aPartialHeadIsClosedAtItsDeadlineWithoutAnAnswer() throws Exception {
    double before = closed("head");
    try (RawHttp client = new RawHttp(svc.port)) {
      long started = System.nanoTime();
      client.send(PARTIAL_HEAD);
      String got = client.readUntilClosed(HEAD_MS + SLACK_MS);
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertNotNull(got, "still open after " + (HEAD_MS + SLACK_MS) + " ms");
      assertEquals("", got, "nothing to answer: the head never completed");
      assertTrue(tookMs >= HEAD_MS - 50, "closed after " + tookMs + " ms, before the deadline");
    }
    assertTrue(closed("head") >= before + 1, "counted as closed for a slow head");
  }

  @Test
  void aSlowBodyIsAnswered408AndClosed() throws Exception {
    double before = closed("body");
    try (RawHttp client = new RawHttp(svc.port)) {
      long started = System.nanoTime();
      client.send("POST /mcp/orchestrator/select_loop HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 200\r\n\r\n{\"jsonrpc\":\"2.0\",");
      String got = client.readUntilClosed(BODY_MS + SLACK_MS);
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertNotNull(got, "still open after " + (BODY_MS + SLACK_MS) + " ms");
      assertTrue(got.startsWith("HTTP/1.1 408 "), got);
      assertTrue(got.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), got);
      assertTrue(tookMs >= BODY_MS - 50, "answered after " + tookMs + " ms, before the deadline");
    }
    assertTrue(closed("body") >= before + 1, "counted as closed for a slow body");
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (RawHttp client = new RawHttp(svc.port)) {
      client.send(RawHttp.get("/health/live"));
      assertTrue(client.readResponse(SLACK_MS).startsWith("HTTP/1.1 200 "));
      long started = System.nanoTime();
      assertNotNull(client.readUntilClosed(IDLE_MS + SLACK_MS), "still open after " + (IDLE_MS + SLACK_MS) + " ms");
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(tookMs >= IDLE_MS - 50, "closed after " + tookMs + " ms, before the idle timeout");
    }
  }

  @Test
  void aKeepAliveConnectionServesRequestsThatComeInTime() throws Exception {
    try (RawHttp client = new RawHttp(svc.port)) {
      for (int i = 0; i < 3; i++) {
        client.send(RawHttp.post("/mcp/orchestrator/select_loop", new JsonObject().put("jsonrpc", "2.0").put("id", i)
            .put("method", "select_loop").put("params", new JsonObject().put("user_id", "keep-" + i)).encode()));
        String response = client.readResponse(SLACK_MS);
        assertTrue(response.startsWith("HTTP/1.1 200 ") && response.contains("\"result\""), response);
      }
    }
  }

  @Test
  void manyHeldConnectionsAreAllReapedWhileTheServiceStaysLive() throws Exception {
    double before = closed("head");
    List<RawHttp> held = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        held.add(new RawHttp(svc.port).send(PARTIAL_HEAD));
      }
      assertEquals(200, live(), "live while the connections are held");
      for (RawHttp client : held) {
        assertNotNull(client.readUntilClosed(HEAD_MS + SLACK_MS), "a held connection was not reaped");
      }
    } finally {
      for (RawHttp client : held) {
        client.close();
      }
    }
    assertTrue(closed("head") >= before + 200, "every one counted: " + (closed("head") - before));
    assertEquals(200, live());
  }

  /** {@code viral_connections_closed_slow_total{reason=...}} from the real /metrics scrape. */
  static double closed(String reason) {
    String text = await(fresh.get(svc.port, "127.0.0.1", "/metrics").send()).bodyAsString();
    Matcher m = Pattern.compile("(?m)^viral_connections_closed_slow_total\\{reason=\"" + reason + "\"[^}]*} (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
