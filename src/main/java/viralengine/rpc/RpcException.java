package viralengine.rpc;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * A failure with a JSON-RPC code and a message that is safe to show to callers. It carries no stack
 * trace: it is an expected outcome, and the message is all a caller or a log needs.
 */
public final class RpcException extends RuntimeException {
  static final int MAX_ECHOED_FIELD = 64;
  private final int code;
  private final JsonObject data;

  public RpcException(int code, String message) {
    this(code, message, null);
  }

  public RpcException(int code, String message, JsonObject data) {
    super(message, null, false, false);
    this.code = code;
    this.data = data;
  }

  /** -32602 naming the field; a caller-chosen field name is cut to 64 characters before it is echoed. */
  public static RpcException invalidParams(String field, String reason) {
    String name = field.length() > MAX_ECHOED_FIELD ? field.substring(0, MAX_ECHOED_FIELD) + "…" : field;
    return new RpcException(ErrorCodes.INVALID_PARAMS, "Invalid params: " + name + " " + reason,
        new JsonObject().put("field", name).put("reason", reason));
  }

  /**
   * -32003 with {@code data.retry_after_ms}: no decision was given, and a retry after that long may get one. The answer
   * when the service cannot know in time whether a request_id was already decided: never a second decision.
   */
  public static RpcException retryLater(String message, long retryAfterMs) {
    return new RpcException(ErrorCodes.OVERLOADED, message, new JsonObject().put("retry_after_ms", retryAfterMs));
  }

  /** This error with {@code data.retry_after_ms} added when it is a -32003 without one (the event bus drops data). */
  public RpcException withRetryAfter(long retryAfterMs) {
    if (code != ErrorCodes.OVERLOADED || data != null && data.containsKey("retry_after_ms")) {
      return this;
    }
    JsonObject more = data == null ? new JsonObject() : data.copy();
    return new RpcException(code, getMessage(), more.put("retry_after_ms", retryAfterMs));
  }

  public int code() {
    return code;
  }

  public JsonObject data() {
    return data;
  }

  /** The error object of a JSON-RPC response. */
  public JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (data != null) {
      error.put("data", data);
    }
    return error;
  }

  /** How an event-bus reply failure reaches the caller: the orchestrator's own code, or a mapped one. */
  public static RpcException fromReply(ReplyException e) {
    if (e.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return new RpcException(e.failureCode(), e.getMessage());
    }
    if (e.failureType() == ReplyFailure.TIMEOUT) {
      return new RpcException(ErrorCodes.TIMEOUT, "Orchestrator did not answer in time");
    }
    return new RpcException(ErrorCodes.ORCHESTRATOR_ERROR,
        "Orchestrator is not available (starting up, or its database is unreachable)");
  }
}
