package viralengine.rpc;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** JSON-RPC 2.0 envelopes: decoding a body into entries, and building responses. */
public final class JsonRpc {
  public static final String VERSION = "2.0";

  private JsonRpc() {}

  /** One element of a request body: a well-formed request, or the error it must be answered with. */
  public sealed interface Entry permits Request, Invalid {}

  /** A valid request. {@code notification} requests get no response. */
  public record Request(Object id, boolean notification, String method, JsonObject params) implements Entry {}

  /** An element that is not a valid request; it is answered with {@code error} and the {@code id} we could read. */
  public record Invalid(Object id, RpcException error) implements Entry {}

  /** A decoded body: {@code batch} tells whether the answer must be an array. */
  public record Body(boolean batch, List<Entry> entries) {}

  /** Decodes a body with the default depth and string bounds; see {@link #decode(Buffer, JsonBounds)}. */
  public static Body decode(Buffer body, int maxBatch) {
    return decode(body, new JsonBounds(maxBatch, JsonBounds.DEFAULT_MAX_DEPTH, JsonBounds.DEFAULT_MAX_STRING_LENGTH));
  }

  /**
   * Decodes a body. Throws -32700 for text that is not JSON, -32600 for JSON beyond the bounds, an empty
   * batch, or a batch longer than the bound.
   */
  public static Body decode(Buffer body, JsonBounds bounds) {
    Object value = bounds.parse(body);
    if (!(value instanceof JsonArray array)) {
      return new Body(false, List.of(entry(value)));
    }
    if (array.isEmpty()) {
      throw new RpcException(ErrorCodes.INVALID_REQUEST, "Invalid Request: empty batch");
    }
    if (array.size() > bounds.maxBatch()) {
      throw new RpcException(ErrorCodes.INVALID_REQUEST,
          "Invalid Request: batch of " + array.size() + " exceeds limits.max_batch=" + bounds.maxBatch(),
          new JsonObject().put("limit", bounds.maxBatch()).put("size", array.size()));
    }
    List<Entry> entries = new ArrayList<>(array.size());
    for (Object element : array) {
      entries.add(entry(element));
    }
    return new Body(true, entries);
  }

  /** Validates one request object's envelope. */
  public static Entry entry(Object value) {
    if (!(value instanceof JsonObject request)) {
      return invalid(null, "request must be a JSON object");
    }
    Object id = request.getValue("id");
    boolean hasId = request.containsKey("id");
    if (hasId && !validId(id)) {
      return invalid(null, "id must be a string, a number or null");
    }
    if (!VERSION.equals(request.getValue("jsonrpc"))) {
      return invalid(id, "jsonrpc must be \"2.0\"");
    }
    if (!(request.getValue("method") instanceof String method)) {
      return invalid(id, "method must be a string");
    }
    Object params = request.getValue("params");
    if (params == null && !request.containsKey("params")) {
      return new Request(id, !hasId, method, new JsonObject());
    }
    if (params instanceof JsonObject named) {
      return new Request(id, !hasId, method, named);
    }
    if (params instanceof JsonArray) {
      return new Invalid(id, RpcException.invalidParams("params", "must be an object of named params, not an array"));
    }
    return invalid(id, "params must be an object");
  }

  private static boolean validId(Object id) {
    return id == null || id instanceof String || id instanceof Number;
  }

  private static Invalid invalid(Object id, String reason) {
    return new Invalid(id, new RpcException(ErrorCodes.INVALID_REQUEST, "Invalid Request: " + reason));
  }

  public static JsonObject success(Object id, Object result) {
    return new JsonObject().put("jsonrpc", VERSION).put("id", id).put("result", result);
  }

  public static JsonObject error(Object id, RpcException error) {
    return new JsonObject().put("jsonrpc", VERSION).put("id", id).put("error", error.toJson());
  }
}
