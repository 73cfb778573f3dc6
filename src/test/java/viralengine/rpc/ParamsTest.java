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
  void freeTextIsRequiredNotBlankAndBounded() {
    JsonObject p = new JsonObject().put("ok", "spam invites").put("n", 5).put("blank", "  ").put("long", "x".repeat(11));
    assertEquals("spam invites", Params.requiredText(p, "ok", 20));
    assertEquals("missing", field("is required", () -> Params.requiredText(p, "missing", 10)).getString("field"));
    field("is required", () -> Params.requiredText(p, "n", 10));
    field("is required", () -> Params.requiredText(p, "blank", 10));
    assertEquals("long", field("1 to 10 characters", () -> Params.requiredText(p, "long", 10)).getString("field"));
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

  @Test
  void optionalIntegersBooleansChoicesAndUuidsAreCheckedAtTheirBounds() {
    JsonObject p = new JsonObject().put("year", 1900).put("top", 2027).put("frac", 2000.5).put("text", "2000")
        .put("flag", true).put("word", "yes").put("pick", "b").put("id", "0192f4c1-7d8e-7a3b-9c1d-2e3f4a5b6c7d")
        .put("short", "0192f4c1").put("bad", "0192f4c1-7d8e-7a3b-9c1d-2e3f4a5b6c7z");
    org.junit.jupiter.api.Assertions.assertEquals(1900, Params.optionalInt(p, "year", 1900, 2027));
    org.junit.jupiter.api.Assertions.assertEquals(2027, Params.optionalInt(p, "top", 1900, 2027));
    org.junit.jupiter.api.Assertions.assertNull(Params.optionalInt(p, "absent", 1900, 2027));
    for (String field : java.util.List.of("frac", "text")) {
      org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> Params.optionalInt(p, field, 1900, 2027), field);
    }
    org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> Params.optionalInt(p, "year", 1901, 2027));
    org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> Params.optionalInt(p, "top", 1900, 2026));
    org.junit.jupiter.api.Assertions.assertEquals(Boolean.TRUE, Params.optionalBoolean(p, "flag"));
    org.junit.jupiter.api.Assertions.assertNull(Params.optionalBoolean(p, "absent"));
    org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> Params.optionalBoolean(p, "word"));
    org.junit.jupiter.api.Assertions.assertEquals("b", Params.optionalOneOf(p, "pick", java.util.List.of("a", "b")));
    org.junit.jupiter.api.Assertions.assertNull(Params.optionalOneOf(p, "absent", java.util.List.of("a")));
    RpcException notOne = org.junit.jupiter.api.Assertions.assertThrows(RpcException.class,
        () -> Params.optionalOneOf(p, "pick", java.util.List.of("a", "c")));
    org.junit.jupiter.api.Assertions.assertEquals("pick", notOne.data().getString("field"));
    org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> Params.optionalOneOf(p, "year", java.util.List.of("1900")));
    org.junit.jupiter.api.Assertions.assertEquals(java.util.UUID.fromString("0192f4c1-7d8e-7a3b-9c1d-2e3f4a5b6c7d"),
        Params.requiredUuid(p, "id"));
    for (String field : java.util.List.of("short", "bad", "year", "absent")) {
      RpcException e = org.junit.jupiter.api.Assertions.assertThrows(RpcException.class, () -> Params.requiredUuid(p, field), field);
      org.junit.jupiter.api.Assertions.assertEquals(field, e.data().getString("field"));
    }
  }
}
