package viralengine.rpc;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each bound at exactly its limit (accepted) and one past it (refused), and plain malformed JSON: the
 * cases PIT showed no test pinned down (docs/mutation-testing.md).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RpcBoundaryTest {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  static String reason(Runnable check) {
    RpcException e = assertThrows(RpcException.class, check::run);
    assertEquals(ErrorCodes.INVALID_PARAMS, e.code());
    return e.data().getString("reason");
  }

  @Test
  void aStringOfExactlyTheMaximumLengthIsAcceptedAndOneMoreIsNot() {
    JsonObject p = new JsonObject().put("s", "a".repeat(10)).put("t", "a".repeat(11));
    assertEquals("a".repeat(10), Params.optionalString(p, "s", 10, Params.VISIBLE_ASCII, "x"));
    assertTrue(reason(() -> Params.optionalString(p, "t", 10, Params.VISIBLE_ASCII, "x")).contains("1 to 10"));
  }

  @Test
  void aTimestampStringOf64CharactersIsParsedAnd65IsRefusedUnread() {
    String sixtyFour = "x".repeat(64);
    assertTrue(reason(() -> Params.optionalTimestamp(new JsonObject().put("t", sixtyFour), "t", NOW)).contains("with an offset"),
        "64 characters are handed to the parser");
    assertTrue(reason(() -> Params.optionalTimestamp(new JsonObject().put("t", sixtyFour + "x"), "t", NOW))
        .contains("timestamp string"), "65 are refused before parsing");
  }

  @Test
  void anObjectAtExactlyTheDepthAndSizeBoundsIsReturnedAsIs() {
    JsonObject threeDeep = new JsonObject().put("a", new JsonObject().put("b", new JsonArray().add(1)));
    assertEquals(3, Params.depth(threeDeep));
    JsonObject p = new JsonObject().put("c", threeDeep);
    int bytes = threeDeep.encode().getBytes(StandardCharsets.UTF_8).length;
    assertSame(threeDeep, Params.optionalObject(p, "c", bytes, 3));
    assertTrue(reason(() -> Params.optionalObject(p, "c", bytes, 2)).contains("deeper than 2"));
    assertTrue(reason(() -> Params.optionalObject(p, "c", bytes - 1, 3)).contains("larger than " + (bytes - 1) + " bytes"));
  }

  @Test
  void aFieldNameOfExactly64CharactersIsEchoedWhole() {
    String name = "f".repeat(RpcException.MAX_ECHOED_FIELD);
    assertEquals(name, RpcException.invalidParams(name, "is not a known param").data().getString("field"));
    assertEquals(name + "…", RpcException.invalidParams(name + "g", "is not a known param").data().getString("field"));
  }

  @Test
  void malformedJsonIsAParseErrorThatDoesNotBlameTheEncoding() {
    for (String body : new String[] {"{", "{\"a\":}", "[1,]", "nul"}) {
      RpcException e = assertThrows(RpcException.class,
          () -> JsonRpc.decode(Buffer.buffer(body), new JsonBounds(10, 32, 1000)), body);
      assertEquals(ErrorCodes.PARSE_ERROR, e.code(), body);
      assertEquals("Parse error: body is not valid JSON", e.getMessage(), body);
    }
  }
}
