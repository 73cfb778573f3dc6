package viralengine.auth;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Per-token rate limits over real HTTP: exactly the burst passes, the next request is 429 with
 * Retry-After and -32003 whose data.reason is rate_limited, the bucket frees up at the configured rate,
 * other tokens are unaffected, and the metrics count the hits by token name.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RateLimitHttpTest {
  static final String LIMITED = "limited-token-0123456789";
  static final String OTHER = "other-token-0123456789";
  static final String MCP = "mcp-limited-token-0123456789";
  static final int BURST = 5;
  /** One token a second: slow enough that the burst does not refill while it is being spent (after a warm-up). */
  static final int PER_SECOND = 1;
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("ORCHESTRATOR_API_TOKENS", "other:decide+observe:" + OTHER)
        .put("auth", new JsonObject().put("api_tokens", new JsonArray().add(new JsonObject().put("name", "limited")
            .put("scopes", new JsonArray().add("decide")).put("sha256", TokenSet.sha256Hex(LIMITED))
            .put("rate_limit_per_second", PER_SECOND).put("rate_limit_burst", BURST))
            .add(new JsonObject().put("name", "mcp-limited").put("scopes", new JsonArray().add("decide"))
                .put("sha256", TokenSet.sha256Hex(MCP)).put("rate_limit_per_second", 1).put("rate_limit_burst", 3)))));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static HttpResponse<Buffer> call(String token) {
    return await(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator/select_loop")
        .putHeader("authorization", "Bearer " + token)
        .sendJsonObject(new JsonObject().put("jsonrpc", "2.0").put("id", 7).put("method", "select_loop")
            .put("params", new JsonObject().put("user_id", "rate-user"))));
  }

  @Test
  void theBurstIsExactThenA429NamesTheLimitAndItFreesUpAtTheRate() {
    for (int i = 0; i < 20; i++) {
      assertEquals(200, call(OTHER).statusCode(), "warm-up on the unlimited token");
    }
    // The bucket is full until the first request takes from it; refilling starts then.
    long spent = System.nanoTime();
    for (int i = 0; i < BURST; i++) {
      HttpResponse<Buffer> ok = call(LIMITED);
      assertEquals(200, ok.statusCode(), "request " + i + ": " + ok.bodyAsString());
    }
    HttpResponse<Buffer> limited = call(LIMITED);
    assertEquals(429, limited.statusCode(), limited.bodyAsString());
    assertEquals("1", limited.getHeader("retry-after"));
    JsonObject error = limited.bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32003, error.getInteger("code"));
    assertEquals("rate_limited", error.getJsonObject("data").getString("reason"));
    assertTrue(error.getString("message").contains("'limited'") && error.getString("message").contains("1 requests/s"),
        error.getString("message"));

    assertEquals(200, call(OTHER).statusCode(), "another token has its own limit (none)");

    // Frees up at the rate: no request passes before a token has refilled (a second after the first request of the burst).
    int status;
    do {
      status = call(LIMITED).statusCode();
    } while (status == 429 && System.nanoTime() - spent < TimeUnit.SECONDS.toNanos(10));
    long waitedMs = (System.nanoTime() - spent) / 1_000_000;
    assertEquals(200, status, "freed up within 10 s");
    assertTrue(waitedMs >= 1_000 / PER_SECOND - 50, "freed after " + waitedMs + " ms, sooner than the rate allows");
    assertTrue(hits("limited") >= 2, "hits are counted by token name");
    assertEquals(0, hits("other"));
    assertTrue(!svc.get("/metrics").bodyAsString().contains(LIMITED), "never the token value");
  }

  @Test
  void anMcpRequestTakesOneFromTheBucketNotOnePerMatchingRoute() {
    for (int i = 0; i < 3; i++) {
      assertTrue(mcpPing().statusCode() != 429, "request " + i + " is within the burst of 3");
    }
    HttpResponse<Buffer> limited = mcpPing();
    assertEquals(429, limited.statusCode(), limited.bodyAsString());
    assertEquals("rate_limited", limited.bodyAsJsonObject().getJsonObject("error").getJsonObject("data").getString("reason"));
  }

  static HttpResponse<Buffer> mcpPing() {
    return await(svc.http.post(svc.port, "127.0.0.1", "/mcp").putHeader("authorization", "Bearer " + MCP)
        .putHeader("accept", "application/json, text/event-stream")
        .sendJsonObject(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "ping")));
  }

  /** {@code viral_rate_limited_total{token=...}} from the real /metrics scrape (metrics are open to 'other'). */
  static double hits(String token) {
    String text = await(svc.http.get(svc.port, "127.0.0.1", "/metrics").putHeader("authorization", "Bearer " + OTHER).send())
        .bodyAsString();
    Matcher m = Pattern.compile("(?m)^viral_rate_limited_total\\{token=\"" + token + "\"[^}]*} (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
