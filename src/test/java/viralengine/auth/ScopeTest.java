package viralengine.auth;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * The scope matrix over real HTTP: every route family against tokens with each set of scopes, given in
 * the environment form (named and bare) and the hashed file form. A route a token may not use is 403
 * with -32007 naming the scope; one it may use is served (never 401 or 403).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ScopeTest {
  static final String DECIDER = "decider-token-0123456789";
  static final String ADMIN = "admin-only-token-0123456789";
  static final String OBSERVER = "observer-token-0123456789";
  static final String OPS = "ops-all-scopes-token-0123456789";
  static final String BARE = "bare-old-form-token-0123456789";
  static final String HASHED_ADMIN = "hashed-admin-token-0123456789";
  static final String LEGACY_HASH = "legacy-hash-token-0123456789";

  /** Route family: how to call it, and the scope it needs. */
  record Route(String name, HttpMethod method, String path, JsonObject body, Scope needs) {}

  static final List<Route> ROUTES = List.of(
      new Route("JSON-RPC select_loop", HttpMethod.POST, "/mcp/orchestrator/select_loop", rpc("select_loop"), Scope.DECIDE),
      new Route("JSON-RPC on the agent", HttpMethod.POST, "/mcp/orchestrator", rpc("health"), Scope.DECIDE),
      new Route("agent health", HttpMethod.GET, "/mcp/orchestrator/health", null, Scope.DECIDE),
      new Route("MCP", HttpMethod.POST, "/mcp", new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "ping"), Scope.DECIDE),
      new Route("admin agent", HttpMethod.POST, "/mcp/admin", rpc("list_loops"), Scope.ADMIN),
      new Route("admin agent method", HttpMethod.POST, "/mcp/admin/list_loops", rpc("list_loops"), Scope.ADMIN),
      new Route("admin, odd path", HttpMethod.POST, "/mcp/orchestrator/../admin/list_loops", rpc("list_loops"), Scope.ADMIN),
      new Route("dashboard", HttpMethod.GET, "/dashboard", null, Scope.OBSERVE),
      new Route("metrics", HttpMethod.GET, "/metrics", null, Scope.OBSERVE));

  static final Map<String, Set<Scope>> TOKENS = Map.of(
      DECIDER, Set.of(Scope.DECIDE),
      ADMIN, Set.of(Scope.ADMIN),
      OBSERVER, Set.of(Scope.OBSERVE),
      OPS, Set.of(Scope.DECIDE, Scope.ADMIN, Scope.OBSERVE),
      BARE, Set.of(Scope.DECIDE, Scope.OBSERVE),
      HASHED_ADMIN, Set.of(Scope.ADMIN, Scope.OBSERVE),
      LEGACY_HASH, Set.of(Scope.DECIDE, Scope.OBSERVE));

  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("ORCHESTRATOR_API_TOKENS", "decider:decide:" + DECIDER + ", admins:admin:" + ADMIN + ",watch:observe:" + OBSERVER
            + ",ops:admin+decide+observe:" + OPS + "," + BARE)
        .put("auth", new JsonObject()
            .put("api_tokens", new JsonArray().add(new JsonObject().put("name", "hashed-admin")
                .put("scopes", new JsonArray().add("admin").add("observe")).put("sha256", TokenSet.sha256Hex(HASHED_ADMIN))))
            .put("token_sha256", new JsonArray().add(TokenSet.sha256Hex(LEGACY_HASH)))));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static JsonObject rpc(String method) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method)
        .put("params", new JsonObject().put("user_id", "scope-user"));
  }

  static HttpResponse<Buffer> call(Route route, String token) {
    HttpRequest<Buffer> request = svc.http.request(route.method(), svc.port, "127.0.0.1", route.path())
        .putHeader("authorization", "Bearer " + token)
        .putHeader("accept", "application/json, text/event-stream");
    return await(route.body() == null ? request.send() : request.sendJsonObject(route.body()));
  }

  @Test
  void everyRouteFamilyServesExactlyTheTokensWithItsScope() {
    List<Executable> checks = new ArrayList<>();
    TOKENS.forEach((token, scopes) -> {
      for (Route route : ROUTES) {
        HttpResponse<Buffer> response = call(route, token);
        String what = route.name() + " with scopes " + scopes + ": " + response.statusCode() + " " + response.bodyAsString();
        if (scopes.contains(route.needs())) {
          checks.add(() -> assertNotEquals(403, response.statusCode(), what));
          checks.add(() -> assertNotEquals(401, response.statusCode(), what));
        } else {
          checks.add(() -> assertForbidden(response, route.needs(), what));
        }
      }
    });
    assertAll(checks);
  }

  static void assertForbidden(HttpResponse<Buffer> response, Scope scope, String what) {
    assertEquals(403, response.statusCode(), what);
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32007, error.getInteger("code"), what);
    assertTrue(error.getString("message").contains("'" + scope.wire() + "'"), what);
    assertEquals(scope.wire(), error.getJsonObject("data").getString("scope"), what);
    assertEquals("2.0", response.bodyAsJsonObject().getString("jsonrpc"), what);
  }

  @Test
  void theForbiddenMessageNamesTheTokenByNameNeverByValue() {
    HttpResponse<Buffer> response = call(ROUTES.get(0), OBSERVER);
    String message = response.bodyAsJsonObject().getJsonObject("error").getString("message");
    assertTrue(message.contains("'watch'"), message);
    assertTrue(!response.bodyAsString().contains(OBSERVER), "the token is not echoed");
  }

  @Test
  void theDecideTokenGetsARealDecision() {
    HttpResponse<Buffer> response = call(ROUTES.get(0), DECIDER);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertTrue(response.bodyAsJsonObject().containsKey("result"), response.bodyAsString());
  }

  @Test
  void anUnknownTokenIsStill401NotForbidden() {
    assertEquals(401, call(ROUTES.get(0), "no-such-token-0123456789").statusCode());
  }
}
