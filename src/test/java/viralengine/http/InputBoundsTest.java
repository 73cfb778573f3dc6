package viralengine.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** One test per input bound, over real HTTP: each gets a clear JSON-RPC error naming the field or limit, and no row. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InputBoundsTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("limits", new JsonObject()
        .put("max_json_depth", 16).put("max_string_length", 4_096).put("max_context_bytes", 1_024).put("max_context_depth", 3)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  static JsonObject error(JsonObject params) {
    JsonObject response = svc.rpc("trigger_event", params);
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events"), "nothing was recorded");
    return response.getJsonObject("error");
  }

  static JsonObject event() {
    return new JsonObject().put("event_type", "practice_completed").put("user_id", "bounds-user");
  }

  static void assertField(JsonObject error, String field, String reasonFragment) {
    assertEquals(-32602, error.getInteger("code"));
    assertEquals(field, error.getJsonObject("data").getString("field"));
    assertTrue(error.getJsonObject("data").getString("reason").contains(reasonFragment), error.encode());
  }

  static JsonObject raw(String body) {
    HttpResponse<Buffer> response = await(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator")
        .putHeader("content-type", "application/json").sendBuffer(Buffer.buffer(body.getBytes(StandardCharsets.UTF_8))));
    assertEquals(200, response.statusCode());
    return response.bodyAsJsonObject().getJsonObject("error");
  }

  @Test
  void userIdLongerThan128CharactersIsRefused() {
    assertField(error(event().put("user_id", "u".repeat(129))), "user_id", "1 to 128");
  }

  @Test
  void userIdWithSpacesOrControlCharactersIsRefused() {
    assertField(error(event().put("user_id", "two words")), "user_id", "visible ASCII");
    assertField(error(event().put("user_id", "tab\there")), "user_id", "visible ASCII");
  }

  @Test
  void eventTypeWithOtherCharactersIsRefused() {
    assertField(error(event().put("event_type", "Practice-Completed")), "event_type", "lower-case");
  }

  @Test
  void requestIdOutsideItsCharsetIsRefused() {
    assertField(error(event().put("request_id", "naïve")), "request_id", "visible ASCII");
  }

  @Test
  void aContextOverItsSizeIsRefused() {
    assertField(error(event().put("context", new JsonObject().put("blob", "x".repeat(2_000)))), "context", "1024 bytes");
  }

  @Test
  void aContextOverItsDepthIsRefused() {
    JsonObject deep = new JsonObject().put("a", new JsonObject().put("b", new JsonObject().put("c", new JsonObject())));
    assertField(error(event().put("context", deep)), "context", "deeper than 3");
  }

  @Test
  void anUnparseableTimestampIsRefused() {
    assertField(error(event().put("occurred_at", "25/11/2026 10:00")), "occurred_at", "ISO-8601");
  }

  @Test
  void aTimestampFarInTheFutureIsRefused() {
    assertField(error(event().put("occurred_at", Instant.now().plus(1, ChronoUnit.HOURS).toString())), "occurred_at", "future");
  }

  @Test
  void aTimestampFarInThePastIsRefused() {
    assertField(error(event().put("occurred_at", Instant.now().minus(400, ChronoUnit.DAYS).toString())), "occurred_at", "past");
  }

  @Test
  void jsonNestedBeyondTheBoundIsRefusedNamingTheLimit() {
    JsonObject error = raw("[".repeat(20) + "]".repeat(20));
    assertEquals(-32600, error.getInteger("code"));
    assertEquals("nesting depth", error.getJsonObject("data").getString("limit"));
    assertEquals(16, error.getJsonObject("data").getInteger("max"));
  }

  @Test
  void aStringBeyondTheBoundIsRefusedNamingTheLimit() {
    JsonObject error = raw(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
        .put("params", new JsonObject().put("user_id", "x".repeat(5_000))).encode());
    assertEquals(-32600, error.getInteger("code"));
    assertEquals("string length", error.getJsonObject("data").getString("limit"));
    assertEquals(4_096, error.getJsonObject("data").getInteger("max"));
  }

  @Test
  void duplicateKeysGetADefinedAnswer() {
    JsonObject error = raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"select_loop\",\"params\":{\"user_id\":\"a\",\"user_id\":\"b\"}}");
    assertEquals(-32600, error.getInteger("code"));
    assertEquals("duplicate key", error.getJsonObject("data").getString("reason"));
  }

  @Test
  void invalidUtf8GetsADefinedAnswer() {
    byte[] body = {'{', '"', 'j', 's', 'o', 'n', 'r', 'p', 'c', '"', ':', '"', (byte) 0xFF, '"', '}'};
    HttpResponse<Buffer> response = await(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator")
        .putHeader("content-type", "application/json").sendBuffer(Buffer.buffer(body)));
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32700, error.getInteger("code"));
    assertTrue(error.getString("message").contains("UTF-8"));
  }
}
