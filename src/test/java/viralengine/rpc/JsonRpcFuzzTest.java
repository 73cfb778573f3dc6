package viralengine.rpc;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.buffer.Buffer;
import viralengine.api.Requests;

import java.time.Instant;
import java.util.Set;

/**
 * Jazzer target over the edge: any bytes go through the JSON-RPC decoder and, for each well-formed
 * request, through the params validators. The only allowed failure is an {@link RpcException} with one
 * of the documented codes and a short message; anything else (an NPE, a ClassCastException, a stack
 * overflow, a message that echoes the input at length) is a finding.
 *
 * <p>{@code mvn verify} replays the committed corpus under
 * {@code src/test/resources/viralengine/rpc/JsonRpcFuzzTestInputs/}. A real run (see README):
 * {@code JAZZER_FUZZ=1 mvn test -Dtest='JsonRpcFuzzTest#decodeAndValidate' -Djazzer.max_executions=100000 -Djacoco.skip=true}.
 */
class JsonRpcFuzzTest {
  static final JsonBounds BOUNDS = new JsonBounds(100, JsonBounds.DEFAULT_MAX_DEPTH, JsonBounds.DEFAULT_MAX_STRING_LENGTH);
  static final Requests.Limits LIMITS = new Requests.Limits(16_384, 8);
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  static final Set<Integer> ENVELOPE_CODES = Set.of(ErrorCodes.PARSE_ERROR, ErrorCodes.INVALID_REQUEST, ErrorCodes.INVALID_PARAMS);
  static final Set<Integer> PARAMS_CODES = Set.of(ErrorCodes.INVALID_PARAMS, ErrorCodes.METHOD_NOT_FOUND);
  static final int MAX_MESSAGE = 400;

  @FuzzTest
  void decodeAndValidate(byte[] input) {
    JsonRpc.Body body;
    try {
      body = JsonRpc.decode(Buffer.buffer(input), BOUNDS);
    } catch (RpcException e) {
      expect(e, Set.of(ErrorCodes.PARSE_ERROR, ErrorCodes.INVALID_REQUEST));
      return;
    }
    for (JsonRpc.Entry entry : body.entries()) {
      if (entry instanceof JsonRpc.Invalid invalid) {
        expect(invalid.error(), ENVELOPE_CODES);
        continue;
      }
      JsonRpc.Request request = (JsonRpc.Request) entry;
      try {
        Requests.Parsed parsed = Requests.parse(request.method(), request.params(), LIMITS, NOW);
        if (parsed instanceof Requests.Request decision && (decision.userId() == null || decision.userId().isEmpty())) {
          throw new AssertionError("a parsed decision request always has a user_id");
        }
      } catch (RpcException e) {
        expect(e, PARAMS_CODES);
      }
    }
  }

  private static void expect(RpcException e, Set<Integer> codes) {
    if (!codes.contains(e.code())) {
      throw new AssertionError("unexpected code " + e.code() + ": " + e.getMessage());
    }
    if (e.getMessage() == null || e.getMessage().length() > MAX_MESSAGE) {
      throw new AssertionError("an error message must be short and present, got " + (e.getMessage() == null ? null : e.getMessage().length()));
    }
  }
}
