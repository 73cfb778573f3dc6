package viralengine.rpc;

/**
 * JSON-RPC 2.0 error codes this service answers with. The same numbers are used for event-bus
 * failures ({@code message.fail(code, msg)}), so every caller sees one vocabulary.
 */
public final class ErrorCodes {
  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;
  /** The orchestrator failed or is not available. */
  public static final int ORCHESTRATOR_ERROR = -32000;
  /** The orchestrator did not answer within the SLA. */
  public static final int TIMEOUT = -32001;
  /** The circuit breaker is open; the orchestrator was not called. */
  public static final int CIRCUIT_OPEN = -32002;
  /** Too much work in flight; retry later. */
  public static final int OVERLOADED = -32003;
  /** A request_id was reused with different params or a different method. */
  public static final int IDEMPOTENCY_CONFLICT = -32004;
  /** A write named an expected_version that is no longer current. */
  public static final int VERSION_CONFLICT = -32005;
  /** The named decision, loop or rule does not exist. */
  public static final int NOT_FOUND = -32006;
  /** The API token is valid but lacks the scope this route needs (HTTP 403). */
  public static final int FORBIDDEN = -32007;

  private ErrorCodes() {}

  /** True for errors caused by the caller's input: these never count against the circuit breaker. */
  public static boolean isCallerError(int code) {
    return code == PARSE_ERROR || code == INVALID_REQUEST || code == METHOD_NOT_FOUND
        || code == INVALID_PARAMS || code == IDEMPOTENCY_CONFLICT || code == VERSION_CONFLICT || code == NOT_FOUND;
  }
}
