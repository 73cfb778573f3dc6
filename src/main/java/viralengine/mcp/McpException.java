package viralengine.mcp;

import io.vertx.core.json.JsonObject;

/**
 * A protocol-level failure on {@code /mcp}: a JSON-RPC error code and safe message, plus the HTTP status
 * it travels with (400 for header and version errors, 404 for an unknown modern method, 200 otherwise).
 */
final class McpException extends RuntimeException {
  // MCP-defined codes (2026-07-28 schema, "MCP error codes").
  static final int HEADER_MISMATCH = -32020;
  static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

  private final int status;
  private final int code;
  private final JsonObject data;
  private final Object id;

  McpException(int status, int code, String message, JsonObject data, Object id) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.data = data;
    this.id = id;
  }

  McpException(int status, int code, String message, JsonObject data) {
    this(status, code, message, data, null);
  }

  McpException(int status, int code, String message) {
    this(status, code, message, null, null);
  }

  int status() {
    return status;
  }

  int code() {
    return code;
  }

  /** The id of the request it answers when that was read before the failure, else null. */
  Object id() {
    return id;
  }

  JsonObject error() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (data != null) {
      error.put("data", data);
    }
    return error;
  }
}
