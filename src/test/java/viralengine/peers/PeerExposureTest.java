package viralengine.peers;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** The built-in agents as callers reach them: per-method scopes over HTTP, the event bus, MCP tools. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerExposureTest {
  static final String DECIDE = "decide-token-0123456789";
  static final String ADMIN = "admin-token-0123456789ab";
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.builtInAgents().put("ORCHESTRATOR_API_TOKENS", "app:decide:" + DECIDE + ",ops:admin:" + ADMIN));
    svc.query("TRUNCATE reward_revocations, reward_grants, reward_daily");
  }

  @AfterAll
  static void stop() {
    svc.query("TRUNCATE reward_revocations, reward_grants, reward_daily");
    svc.close();
  }

  static HttpResponse<Buffer> post(String path, String method, JsonObject params, String token) {
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method).put("params", params);
    return await(svc.http.post(svc.port, "127.0.0.1", path).putHeader("content-type", "application/json")
        .putHeader("authorization", "Bearer " + token).sendBuffer(Buffer.buffer(body.encode())));
  }

  static JsonObject grantParams(String requestId) {
    return new JsonObject().put("user_id", "scoped").put("reward_type", "xp").put("request_id", requestId);
  }

  @Test
  void anAdminMethodNamedInThePathNeedsTheAdminScope() {
    HttpResponse<Buffer> refused = post("/mcp/incentives/grant_reward", "grant_reward", grantParams("s-1"), DECIDE);
    assertEquals(403, refused.statusCode());
    assertEquals(-32007, refused.bodyAsJsonObject().getJsonObject("error").getInteger("code"));
    assertEquals("admin", refused.bodyAsJsonObject().getJsonObject("error").getJsonObject("data").getString("scope"));
    HttpResponse<Buffer> granted = post("/mcp/incentives/grant_reward", "grant_reward", grantParams("s-1"), ADMIN);
    assertEquals(true, granted.bodyAsJsonObject().getJsonObject("result").getBoolean("granted"), granted.bodyAsString());
  }

  @Test
  void onTheAgentsOwnRouteEachMethodsScopeIsCheckedOnceTheBodyNamesIt() {
    JsonObject refused = post("/mcp/incentives", "grant_reward", grantParams("s-2"), DECIDE).bodyAsJsonObject();
    assertEquals(-32007, refused.getJsonObject("error").getInteger("code"), refused.encode());
    assertEquals(0, svc.count("SELECT count(*) FROM reward_grants WHERE request_id = 's-2'"));
    JsonObject offered = post("/mcp/incentives", "list_reward_types", new JsonObject(), DECIDE).bodyAsJsonObject();
    assertEquals(4, offered.getJsonObject("result").getJsonArray("reward_types").size());
    assertEquals(403, post("/mcp/trust_safety/check_action", "check_action", new JsonObject(), ADMIN).statusCode(),
        "an admin-only token cannot vet: check_action needs decide");
  }

  @Test
  void eachMethodIsAnEventBusAddressAnsweringAJsonRpcErrorCode() {
    JsonObject types = await(svc.vertx.eventBus().<JsonObject>request("incentives.list_reward_types", new JsonObject(),
        new DeliveryOptions().setSendTimeout(5_000))).body();
    assertEquals(4, types.getJsonArray("reward_types").size());
    Throwable failure = await(svc.vertx.eventBus().request("trust_safety.check_action", new JsonObject().put("user_id", "x"),
        new DeliveryOptions().setSendTimeout(5_000)).transform(done -> io.vertx.core.Future.succeededFuture(done.cause())));
    assertInstanceOf(ReplyException.class, failure);
    assertEquals(-32602, ((ReplyException) failure).failureCode());
    JsonObject copy = await(svc.vertx.eventBus().<JsonObject>request("personalization.personalize", new JsonObject()
        .put("user_id", "x").put("loop", "buddy_challenge").put("action", new JsonObject().put("type", "t").put("headline", "Hi")),
        new DeliveryOptions().setSendTimeout(5_000))).body();
    assertEquals("Hi", copy.getString("headline"));
  }

  @Test
  void theAgentsAreMcpToolsWithTheirScopes() {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("MCP-Protocol-Version", "2025-11-25")
        .add("authorization", "Bearer " + DECIDE).add("content-type", "application/json").add("accept", "application/json, text/event-stream");
    JsonObject listed = await(svc.http.post(svc.port, "127.0.0.1", "/mcp").putHeaders(headers).sendBuffer(Buffer.buffer(
        new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call").put("params", new JsonObject()
            .put("name", "incentives_list_reward_types").put("arguments", new JsonObject())).encode()))).bodyAsJsonObject();
    assertEquals(false, listed.getJsonObject("result").getBoolean("isError"), listed.encode());
    assertEquals(4, listed.getJsonObject("result").getJsonObject("structuredContent").getJsonArray("reward_types").size());
    JsonObject refused = await(svc.http.post(svc.port, "127.0.0.1", "/mcp").putHeaders(headers).sendBuffer(Buffer.buffer(
        new JsonObject().put("jsonrpc", "2.0").put("id", 2).put("method", "tools/call").put("params", new JsonObject()
            .put("name", "incentives_grant_reward").put("arguments", grantParams("s-3"))).encode()))).bodyAsJsonObject();
    assertEquals(true, refused.getJsonObject("result").getBoolean("isError"), refused.encode());
    assertTrue(refused.getJsonObject("result").getJsonArray("content").getJsonObject(0).getString("text").contains("-32007"));
    assertEquals(0, svc.count("SELECT count(*) FROM reward_grants WHERE request_id = 's-3'"));
  }
}
