package viralengine.rpc;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class JsonRpcTest {

  static JsonRpc.Entry single(String json) {
    JsonRpc.Body body = JsonRpc.decode(Buffer.buffer(json), 10);
    assertFalse(body.batch());
    return body.entries().get(0);
  }

  static int code(JsonRpc.Entry entry) {
    return assertInstanceOf(JsonRpc.Invalid.class, entry).error().code();
  }

  @Test
  void aRequestWithAnIdIsNotANotification() {
    JsonRpc.Request r = assertInstanceOf(JsonRpc.Request.class, single("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"m\",\"params\":{\"a\":1}}"));
    assertEquals(9, r.id());
    assertFalse(r.notification());
    assertEquals("m", r.method());
    assertEquals(new JsonObject().put("a", 1), r.params());
  }

  @Test
  void aRequestWithoutIdIsANotificationAndMissingParamsAreEmpty() {
    JsonRpc.Request r = assertInstanceOf(JsonRpc.Request.class, single("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}"));
    assertTrue(r.notification());
    assertTrue(r.params().isEmpty());
  }

  @Test
  void anExplicitNullIdIsARequestAnsweredWithNull() {
    JsonRpc.Request r = assertInstanceOf(JsonRpc.Request.class, single("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}"));
    assertFalse(r.notification());
    assertNull(r.id());
  }

  @Test
  void envelopeErrorsAreInvalidRequests() {
    assertEquals(-32600, code(single("[1]".substring(1, 2))));
    assertEquals(-32600, code(single("{\"id\":1,\"method\":\"m\"}")));
    assertEquals(-32600, code(single("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}")));
    assertEquals(-32600, code(single("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":\"x\"}")));
    JsonRpc.Invalid badId = assertInstanceOf(JsonRpc.Invalid.class, single("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"m\"}"));
    assertNull(badId.id());
  }

  @Test
  void arrayParamsAreInvalidParamsWithTheIdKept() {
    JsonRpc.Invalid invalid = assertInstanceOf(JsonRpc.Invalid.class, single("{\"jsonrpc\":\"2.0\",\"id\":\"k\",\"method\":\"m\",\"params\":[1]}"));
    assertEquals(-32602, invalid.error().code());
    assertEquals("k", invalid.id());
  }

  @Test
  void badJsonIsAParseError() {
    RpcException e = assertThrows(RpcException.class, () -> JsonRpc.decode(Buffer.buffer("{"), 10));
    assertEquals(-32700, e.code());
    assertEquals(-32700, assertThrows(RpcException.class, () -> JsonRpc.decode(Buffer.buffer(""), 10)).code());
  }

  @Test
  void batchesAreBoundedAndNeverEmpty() {
    assertEquals(-32600, assertThrows(RpcException.class, () -> JsonRpc.decode(Buffer.buffer("[]"), 10)).code());
    assertEquals(-32600, assertThrows(RpcException.class, () -> JsonRpc.decode(Buffer.buffer("[1,2,3]"), 2)).code());
    JsonRpc.Body body = JsonRpc.decode(Buffer.buffer("[{\"jsonrpc\":\"2.0\",\"method\":\"a\"}, 7]"), 2);
    assertTrue(body.batch());
    assertInstanceOf(JsonRpc.Request.class, body.entries().get(0));
    assertInstanceOf(JsonRpc.Invalid.class, body.entries().get(1));
  }

  @Test
  void responsesFollowTheSpec() {
    assertEquals(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("result", "ok"), JsonRpc.success(1, "ok"));
    JsonObject error = JsonRpc.error("x", RpcException.invalidParams("user_id", "is required"));
    assertEquals("x", error.getString("id"));
    assertEquals(-32602, error.getJsonObject("error").getInteger("code"));
    assertEquals("user_id", error.getJsonObject("error").getJsonObject("data").getString("field"));
    assertFalse(JsonRpc.error(null, new RpcException(-32603, "Internal error")).getJsonObject("error").containsKey("data"));
  }

  static RpcException rejected(byte[] body, JsonBounds bounds) {
    return assertThrows(RpcException.class, () -> JsonRpc.decode(Buffer.buffer(body), bounds));
  }

  @Test
  void nestingBeyondTheBoundIsAnInvalidRequestNamingTheLimit() {
    String deep = "{\"a\":".repeat(40) + "1" + "}".repeat(40);
    RpcException e = rejected(deep.getBytes(java.nio.charset.StandardCharsets.UTF_8), new JsonBounds(10, 32, 1000));
    assertEquals(-32600, e.code());
    assertEquals("nesting depth", e.data().getString("limit"));
    assertEquals(32, e.data().getInteger("max"));
  }

  @Test
  void aStringBeyondTheBoundIsAnInvalidRequestNamingTheLimit() {
    String body = "{\"jsonrpc\":\"2.0\",\"method\":\"" + "m".repeat(2000) + "\"}";
    RpcException e = rejected(body.getBytes(java.nio.charset.StandardCharsets.UTF_8), new JsonBounds(10, 32, 1000));
    assertEquals(-32600, e.code());
    assertEquals("string length", e.data().getString("limit"));
  }

  @Test
  void aHugeNumberIsAnInvalidRequest() {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":" + "9".repeat(500) + ",\"method\":\"m\"}";
    assertEquals("number length", rejected(body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        new JsonBounds(10, 32, 1000)).data().getString("limit"));
  }

  @Test
  void aDuplicateKeyIsAnInvalidRequest() {
    RpcException e = rejected("{\"jsonrpc\":\"2.0\",\"method\":\"a\",\"method\":\"b\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        new JsonBounds(10, 32, 1000));
    assertEquals(-32600, e.code());
    assertEquals("duplicate key", e.data().getString("reason"));
  }

  @Test
  void invalidUtf8IsAParseError() {
    byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    RpcException e = rejected(body, new JsonBounds(10, 32, 1000));
    assertEquals(-32700, e.code());
    assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
  }

  @Test
  void aLongCallerChosenFieldNameIsCutBeforeItIsEchoed() {
    RpcException e = RpcException.invalidParams("x".repeat(10_000), "is not a known param");
    assertEquals(65, e.data().getString("field").length());
    assertTrue(e.getMessage().length() < 200);
  }

  @Test
  void replyFailuresMapToJsonRpcCodes() {
    assertEquals(-32004, RpcException.fromReply(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, -32004, "c")).code());
    assertEquals(-32001, RpcException.fromReply(new ReplyException(ReplyFailure.TIMEOUT, "t")).code());
    assertEquals(-32000, RpcException.fromReply(new ReplyException(ReplyFailure.NO_HANDLERS, "n")).code());
  }

  @Test
  void onlyInputErrorsAreCallerErrors() {
    for (int code : new int[] {-32700, -32600, -32601, -32602, -32004}) {
      assertTrue(ErrorCodes.isCallerError(code), Integer.toString(code));
    }
    for (int code : new int[] {-32603, -32000, -32001, -32002, -32003}) {
      assertFalse(ErrorCodes.isCallerError(code), Integer.toString(code));
    }
  }
}
