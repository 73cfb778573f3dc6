package viralengine.mcp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import viralengine.api.ApiSchema;
import viralengine.api.Requests;
import viralengine.rpc.JsonBounds;
import viralengine.rpc.RpcException;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Jazzer target over MCP request handling: any era, method and params (as JSON from the fuzzer's bytes)
 * through the protocol dispatch and the tools' argument validation. The backend is a fake that answers
 * at once, so every outcome is decided here: a result object, or a failed future with an
 * {@link McpException} or {@link RpcException}. A thrown exception, another failure type or a pending
 * future is a finding.
 *
 * <p>{@code mvn verify} replays the corpus under {@code src/test/resources/viralengine/mcp/McpFuzzTestInputs/};
 * a real run: {@code JAZZER_FUZZ=1 mvn test -Dtest='McpFuzzTest#handle' -Djazzer.max_executions=100000 -Djacoco.skip=true}.
 */
class McpFuzzTest {
  static final Requests.Limits LIMITS = new Requests.Limits(16_384, 8);
  static final JsonBounds BOUNDS = new JsonBounds(1, JsonBounds.DEFAULT_MAX_DEPTH, JsonBounds.DEFAULT_MAX_STRING_LENGTH);
  /** A fake orchestrator: echoes a decision for calls, a fixed body for health. */
  static final McpEndpoint.Backend FAKE_BACKEND = new McpEndpoint.Backend(
      request -> Future.succeededFuture(new JsonObject().put("decision_id", "00000000-0000-0000-0000-000000000000")
          .put("loop", (String) null).put("rationale", "fake").put("latency_ms", 0.1)),
      () -> Future.succeededFuture(new JsonObject().put("status", "ok")),
      (method, params, actor) -> Future.succeededFuture(new JsonObject().put("loops", new io.vertx.core.json.JsonArray())));
  static final McpProtocol PROTOCOL = new McpProtocol(new McpTools(ApiSchema.of(LIMITS), LIMITS, FAKE_BACKEND));
  static final List<String> METHODS = List.of(McpProtocol.INITIALIZE, McpProtocol.PING, McpProtocol.DISCOVER,
      McpProtocol.TOOLS_LIST, McpProtocol.TOOLS_CALL, "resources/list", "");

  @FuzzTest
  void handle(FuzzedDataProvider data) {
    Versions.Era era = new Versions.Era(data.pickValue(Versions.SUPPORTED));
    String method = data.consumeBoolean() ? data.pickValue(METHODS) : data.consumeString(40);
    Object parsed;
    try {
      parsed = BOUNDS.parse(Buffer.buffer(data.consumeRemainingAsString().getBytes(StandardCharsets.UTF_8)));
    } catch (RpcException notJson) {
      return; // the endpoint answers these before dispatch
    }
    JsonObject params = parsed instanceof JsonObject object ? object : new JsonObject();
    Future<JsonObject> result = PROTOCOL.handle(era, method, params, viralengine.auth.Principal.ANONYMOUS);
    if (!result.isComplete()) {
      throw new AssertionError("the fake backend answers at once, so every outcome must be decided");
    }
    if (result.failed() && !(result.cause() instanceof McpException) && !(result.cause() instanceof RpcException)) {
      throw new AssertionError("unexpected failure type", result.cause());
    }
    if (result.succeeded() && result.result() == null) {
      throw new AssertionError("a result is always an object");
    }
  }
}
