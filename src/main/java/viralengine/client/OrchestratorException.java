package viralengine.client;

import viralengine.rpc.ErrorCodes;

/**
 * A failed orchestrator call, with the JSON-RPC code of {@link ErrorCodes}: -32602 invalid params, -32004
 * idempotency conflict, -32003 overloaded, -32001 no answer within the send timeout, -32000 orchestrator
 * failed or not deployed, -32603 anything else. The message is safe to show; it never holds internals.
 */
public final class OrchestratorException extends RuntimeException {
  private final int code;

  public OrchestratorException(int code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The caller's input was wrong (retrying the same call will fail the same way). */
  public boolean callerError() {
    return ErrorCodes.isCallerError(code);
  }

  /** No answer in time, or too busy: a retry with the same {@code request_id} is safe. */
  public boolean retryable() {
    return code == ErrorCodes.TIMEOUT || code == ErrorCodes.OVERLOADED || code == ErrorCodes.ORCHESTRATOR_ERROR;
  }

  @Override
  public String toString() {
    return "OrchestratorException(" + code + "): " + getMessage();
  }
}
