package viralengine.rpc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;

/**
 * Parses request bodies strictly: bounded nesting depth and string length (Jackson's
 * {@code StreamReadConstraints}), duplicate keys rejected, invalid UTF-8 rejected. Each problem has its
 * own JSON-RPC error: text that is not JSON is -32700; JSON beyond a bound, or with a duplicate key, is
 * -32600 naming the bound.
 */
public final class JsonBounds {
  public static final int DEFAULT_MAX_DEPTH = 32;
  public static final int DEFAULT_MAX_STRING_LENGTH = 65_536;
  static final int MAX_NUMBER_LENGTH = 100;

  private final int maxBatch;
  private final int maxDepth;
  private final int maxStringLength;
  private final JsonFactory factory;

  public JsonBounds(int maxBatch, int maxDepth, int maxStringLength) {
    this.maxBatch = maxBatch;
    this.maxDepth = maxDepth;
    this.maxStringLength = maxStringLength;
    this.factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(maxDepth).maxStringLength(maxStringLength).maxNumberLength(MAX_NUMBER_LENGTH).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
  }

  public int maxBatch() {
    return maxBatch;
  }

  /** The body as a JsonObject, JsonArray or scalar. */
  public Object parse(Buffer body) {
    try (JsonParser parser = factory.createParser(body.getBytes())) {
      return JacksonCodec.fromParser(parser, Object.class);
    } catch (DecodeException e) {
      throw translate(e.getCause() == null ? e : e.getCause());
    } catch (IOException e) {
      throw translate(e);
    }
  }

  private RpcException translate(Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    if (cause instanceof StreamConstraintsException) {
      if (message.contains("nesting depth")) {
        return bound("nesting depth", maxDepth, "JSON nests deeper than " + maxDepth + " levels");
      }
      if (message.contains("String value length")) {
        return bound("string length", maxStringLength, "a JSON string is longer than " + maxStringLength + " characters");
      }
      return bound("number length", MAX_NUMBER_LENGTH, "a JSON number has more than " + MAX_NUMBER_LENGTH + " digits");
    }
    if (message.startsWith("Duplicate field")) {
      return new RpcException(ErrorCodes.INVALID_REQUEST, "Invalid Request: a JSON object repeats a key",
          new JsonObject().put("reason", "duplicate key"));
    }
    if (message.contains("UTF-8") || message.contains("UTF8")) {
      return new RpcException(ErrorCodes.PARSE_ERROR, "Parse error: body is not valid UTF-8");
    }
    return new RpcException(ErrorCodes.PARSE_ERROR, "Parse error: body is not valid JSON");
  }

  private static RpcException bound(String limit, int value, String what) {
    return new RpcException(ErrorCodes.INVALID_REQUEST, "Invalid Request: " + what,
        new JsonObject().put("limit", limit).put("max", value));
  }
}
