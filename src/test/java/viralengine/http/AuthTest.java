package viralengine.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.auth.TokenSet;
import viralengine.support.TestService;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** Bearer tokens on every JSON-RPC, MCP, dashboard and metrics route; health probes stay open. One case per test. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthTest {
  static final String TOKEN = "test-token-0123456789abcdef";
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("auth", new JsonObject()
        .put("token_sha256", new JsonArray().add(TokenSet.sha256Hex(TOKEN)))));
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static HttpResponse<Buffer> rpc(String authorization) {
    HttpRequest<Buffer> request = svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator/select_loop")
        .putHeader("content-type", "application/json");
    if (authorization != null) {
      request.putHeader("authorization", authorization);
    }
    return await(request.sendJsonObject(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
        .put("params", new JsonObject().put("user_id", "auth-user"))));
  }

  static HttpResponse<Buffer> get(String path, String authorization) {
    HttpRequest<Buffer> request = svc.http.get(svc.port, "127.0.0.1", path);
    if (authorization != null) {
      request.putHeader("authorization", authorization);
    }
    return await(request.send());
  }

  static void assertUnauthorized(HttpResponse<Buffer> response) {
    assertEquals(401, response.statusCode());
    assertTrue(response.getHeader("www-authenticate").startsWith("Bearer realm="), response.getHeader("www-authenticate"));
    assertEquals("unauthorized", response.bodyAsJsonObject().getString("error"));
  }

  @Test
  void aJsonRpcCallWithoutATokenGets401AndWritesNothing() {
    assertUnauthorized(rpc(null));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE input_params->>'user_id' = 'auth-user'"));
  }

  @Test
  void aWrongTokenGets401NamingAnInvalidToken() {
    HttpResponse<Buffer> response = rpc("Bearer not-the-token-at-all");
    assertUnauthorized(response);
    assertTrue(response.getHeader("www-authenticate").contains("error=\"invalid_token\""));
  }

  @Test
  void theRightTokenIsServed() {
    HttpResponse<Buffer> response = rpc("Bearer " + TOKEN);
    assertEquals(200, response.statusCode());
    assertTrue(response.bodyAsJsonObject().containsKey("result"));
  }

  @Test
  void anotherSchemeIsRefusedOnApiRoutes() {
    assertUnauthorized(rpc("Basic " + Base64.getEncoder().encodeToString(("x:" + TOKEN).getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void theMcpEndpointRequiresTheToken() {
    HttpResponse<Buffer> response = await(svc.http.post(svc.port, "127.0.0.1", "/mcp")
        .putHeader("content-type", "application/json").putHeader("accept", "application/json, text/event-stream")
        .sendJsonObject(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "ping")));
    assertUnauthorized(response);
  }

  @Test
  void theAgentHealthRouteRequiresTheToken() {
    assertUnauthorized(get("/mcp/orchestrator/health", null));
    HttpResponse<Buffer> health = get("/mcp/orchestrator/health", "Bearer " + TOKEN);
    assertEquals(200, health.statusCode());
    assertEquals("enabled", health.bodyAsJsonObject().getString("auth"));
  }

  @Test
  void metricsRequireTheTokenUnlessPublic() {
    assertUnauthorized(get("/metrics", null));
    assertEquals(200, get("/metrics", "Bearer " + TOKEN).statusCode());
    try (TestService open = TestService.start(new JsonObject()
        .put("auth", new JsonObject().put("token_sha256", new JsonArray().add(TokenSet.sha256Hex(TOKEN))))
        .put("metrics", new JsonObject().put("public", true)))) {
      assertEquals(200, open.get("/metrics").statusCode());
    }
  }

  @Test
  void theDashboardAsksABrowserForBasicCredentialsAndTakesTheTokenAsPassword() {
    HttpResponse<Buffer> challenge = get("/dashboard", null);
    assertEquals(401, challenge.statusCode());
    // Basic alone: Chromium ignores a Basic challenge that shares the header with a Bearer one.
    assertEquals("Basic realm=\"viral-engine\", charset=\"UTF-8\"", challenge.getHeader("www-authenticate"));
    String basic = "Basic " + Base64.getEncoder().encodeToString(("operator:" + TOKEN).getBytes(StandardCharsets.UTF_8));
    assertEquals(200, get("/dashboard", basic).statusCode());
    assertEquals(200, get("/dashboard", "Bearer " + TOKEN).statusCode());
    String wrong = "Basic " + Base64.getEncoder().encodeToString("operator:nope".getBytes(StandardCharsets.UTF_8));
    assertEquals(401, get("/dashboard", wrong).statusCode());
    assertEquals(401, get("/dashboard/events", null).statusCode());
  }

  @Test
  void healthProbesStayOpen() {
    assertEquals(200, get("/health/live", null).statusCode());
    assertEquals(200, get("/health/ready", null).statusCode());
  }

  @Test
  void corsIsOffUnlessConfigured() {
    HttpResponse<Buffer> response = await(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator/select_loop")
        .putHeader("content-type", "application/json").putHeader("origin", "https://evil.example")
        .putHeader("authorization", "Bearer " + TOKEN)
        .sendJsonObject(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "health")));
    assertNull(response.getHeader("access-control-allow-origin"));
  }
}
