package viralengine.rpc;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ParamsTest {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  static JsonObject field(String reason, Runnable check) {
    RpcException e = assertThrows(RpcException.class, check::run);
    assertEquals(-32602, e.code());
    assertTrue(e.data().getString("reason").contains(reason), e.data().getString("reason"));
    return e.data();
  }

  @Test
  void stringsAreCheckedForPresenceTypeLengthAndCharset() {
    JsonObject p = new JsonObject().put("a", "ok").put("n", 5).put("e", "").put("s", "with space");
    assertEquals("ok", Params.requiredString(p, "a", 10, Params.VISIBLE_ASCII, "x"));
    assertEquals("user_id", field("is required", () -> Params.requiredString(p, "user_id", 10, Params.VISIBLE_ASCII, "x")).getString("field"));
    field("must be a string", () -> Params.optionalString(p, "n", 10, Params.VISIBLE_ASCII, "x"));
    field("1 to 10", () -> Params.optionalString(p, "e", 10, Params.VISIBLE_ASCII, "x"));
    field("must contain only", () -> Params.optionalString(p, "s", 20, Params.VISIBLE_ASCII, "x"));
    assertNull(Params.optionalString(p, "missing", 10, Params.VISIBLE_ASCII, "x"));
  }

  @Test
  void timestampsMustParseAndLieInARecentWindow() {
    assertEquals(Instant.parse("2026-11-25T11:00:00Z"),
        Params.optionalTimestamp(new JsonObject().put("t", "2026-11-25T12:00:00+01:00"), "t", NOW).toInstant());
    assertNull(Params.optionalTimestamp(new JsonObject(), "t", NOW));
    field("ISO-8601", () -> Params.optionalTimestamp(new JsonObject().put("t", "yesterday"), "t", NOW));
    field("ISO-8601", () -> Params.optionalTimestamp(new JsonObject().put("t", 1700000000), "t", NOW));
    field("future", () -> Params.optionalTimestamp(new JsonObject().put("t", "2026-11-25T12:06:00Z"), "t", NOW));
    field("past", () -> Params.optionalTimestamp(new JsonObject().put("t", "2024-01-01T00:00:00Z"), "t", NOW));
  }

  @Test
  void objectsAreBoundedInSizeAndDepth() {
    assertTrue(Params.optionalObject(new JsonObject(), "c", 100, 3).isEmpty());
    JsonObject deep = new JsonObject().put("c", new JsonObject().put("a", new JsonObject().put("b", new JsonArray().add(new JsonObject()))));
    assertEquals(4, Params.depth(deep.getJsonObject("c")));
    field("deeper than 3", () -> Params.optionalObject(deep, "c", 1000, 3));
    field("larger than 10 bytes", () -> Params.optionalObject(new JsonObject().put("c", new JsonObject().put("k", "0123456789")), "c", 10, 3));
    field("must be a JSON object", () -> Params.optionalObject(new JsonObject().put("c", "x"), "c", 100, 3));
  }
}
