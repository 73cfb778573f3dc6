package viralengine.connections;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.RawHttp;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code http.max_connections} over real sockets: past the bound a new connection is closed at once,
 * the connections already open keep being served, readiness and the metrics say so, and a slot freed
 * is usable again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionBoundTest {
  static final int MAX = 6;
  static final long WAIT_MS = 5_000;
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("http", new JsonObject().put("max_connections", MAX)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static String selectLoop(String user) {
    return RawHttp.post("/mcp/orchestrator/select_loop", new JsonObject().put("jsonrpc", "2.0").put("id", 1)
        .put("method", "select_loop").put("params", new JsonObject().put("user_id", user)).encode());
  }

  @Test
  void pastTheBoundNewConnectionsAreRefusedAndTheOpenOnesFinish() throws Exception {
    List<RawHttp> open = new ArrayList<>();
    try {
      // Each holds its slot once it has been answered on it.
      for (int i = 0; i < MAX; i++) {
        RawHttp client = new RawHttp(svc.port);
        open.add(client);
        assertTrue(client.send(RawHttp.get("/health/live")).readResponse(WAIT_MS).startsWith("HTTP/1.1 200 "));
      }
      // A request under way on a held connection: its head is in, its body is not yet.
      String request = selectLoop("bound-user");
      int split = request.indexOf("\r\n\r\n") + 6;
      open.get(0).send(request.substring(0, split));

      try (RawHttp refused = new RawHttp(svc.port)) {
        String got = refused.send(RawHttp.get("/health/live")).readUntilClosed(WAIT_MS);
        assertNotNull(got, "the connection past the bound was left open");
        assertEquals("", got, "closed at once, unanswered");
      }

      open.get(0).send(request.substring(split));
      String finished = open.get(0).readResponse(WAIT_MS);
      assertTrue(finished.startsWith("HTTP/1.1 200 ") && finished.contains("\"result\""), finished);

      String ready = open.get(1).send(RawHttp.get("/health/ready")).readResponse(WAIT_MS);
      assertTrue(ready.startsWith("HTTP/1.1 503 "), ready);
      assertTrue(ready.contains("http.max_connections reached"), ready);

      String metrics = open.get(2).send(RawHttp.get("/metrics")).readResponse(WAIT_MS);
      assertTrue(metrics.contains("viral_connections_max " + MAX + ".0"), "the bound is published");
      assertTrue(metrics.contains("viral_connections_open " + MAX + ".0"), "the open count is published");
      assertTrue(metrics.matches("(?s).*viral_connections_refused_total [1-9].*"), "the refusal is counted");
    } finally {
      for (RawHttp client : open) {
        client.close();
      }
    }
    assertEquals(200, servedAgain(), "a freed slot serves again");
  }

  /** Once the held connections are closed (the server sees that asynchronously), a new one is served. */
  private static int servedAgain() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (true) {
      try (RawHttp client = new RawHttp(svc.port)) {
        String response = client.send(RawHttp.get("/health/live")).readResponse(WAIT_MS);
        return Integer.parseInt(response.substring(9, 12));
      } catch (java.io.IOException refusedStill) {
        if (System.nanoTime() > deadline) {
          throw refusedStill;
        }
      }
    }
  }
}
