package viralengine.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentClientTest {
  private static final String AGENT = "personalization";
  private static final long CLIENT_TIMEOUT_MS = 200;
  private static final long RESET_TIMEOUT_MS = 300;
  private static final int MAX_FAILURES = 3;
  private static final int MAX_RESPONSE_BYTES = 4096;
  private static final AgentClientOptions OPTIONS =
      new AgentClientOptions(CLIENT_TIMEOUT_MS, MAX_FAILURES, 10_000, RESET_TIMEOUT_MS, MAX_RESPONSE_BYTES);
  private static final JsonObject PARAMS = new JsonObject().put("user_id", "u-1").put("context", new JsonObject().put("k", 2));

  private Vertx vertx;
  private FakePeerAgent peer;
  private AgentClient client;

  /** Loads the HTTP client and breaker classes once, so no test's first call pays for a cold JVM. */
  @BeforeAll
  static void warmUp() throws Exception {
    Vertx warmVertx = Vertx.vertx();
    try {
      FakePeerAgent fake = FakePeerAgent.start(warmVertx);
      AgentClientOptions generous = new AgentClientOptions(5_000, MAX_FAILURES, 10_000, RESET_TIMEOUT_MS, MAX_RESPONSE_BYTES);
      try (AgentClient warm = AgentClient.create(warmVertx, fake.baseUrl(), AGENT, generous)) {
        await(warm.call("warm_up", PARAMS));
      }
      fake.close();
    } finally {
      await(warmVertx.close());
    }
  }

  @BeforeEach
  void startPeerAndClient(Vertx vertx) throws Exception {
    this.vertx = vertx;
    peer = FakePeerAgent.start(vertx);
    client = AgentClient.create(vertx, peer.baseUrl(), AGENT, OPTIONS);
  }

  @AfterEach
  void stopPeerAndClient() throws Exception {
    client.close();
    peer.close();
  }

  @Test
  void aSuccessfulCallReturnsThePeersResultObject() throws Exception {
    peer.answer(FakePeerAgent.echo());

    JsonObject result = await(client.call("select_variant", PARAMS));

    assertEquals(PARAMS, result);
  }

  @Test
  void theRequestIsJsonRpcPostedToTheAgentsMethodPath() throws Exception {
    peer.answer(FakePeerAgent.echo());

    await(client.call("select_variant", PARAMS));

    FakePeerAgent.Received received = peer.received().get(0);
    assertEquals("POST", received.httpMethod());
    assertEquals("/mcp/personalization/select_variant", received.path());
    assertTrue(received.contentType().startsWith("application/json"), received.contentType());
    JsonObject body = new JsonObject(received.body());
    assertEquals("2.0", body.getString("jsonrpc"));
    assertInstanceOf(Number.class, body.getValue("id"));
    assertEquals("select_variant", body.getString("method"));
    assertEquals(PARAMS, body.getJsonObject("params"));
  }

  @Test
  void nullParamsAreSentAsAnEmptyObject() throws Exception {
    peer.answer(FakePeerAgent.echo());

    JsonObject result = await(client.call("ping", null));

    assertEquals(new JsonObject(), result);
    assertEquals(new JsonObject(), new JsonObject(peer.received().get(0).body()).getJsonObject("params"));
  }

  @Test
  void eachCallUsesANewRequestId() throws Exception {
    peer.answer(FakePeerAgent.echo());

    await(client.call("ping", PARAMS));
    await(client.call("ping", PARAMS));

    Object first = new JsonObject(peer.received().get(0).body()).getValue("id");
    Object second = new JsonObject(peer.received().get(1).body()).getValue("id");
    assertNotEquals(first, second);
  }

  @Test
  void aPeerSlowerThanTheTimeoutFailsWithTimeout() {
    peer.answer(FakePeerAgent.slow(CLIENT_TIMEOUT_MS * 5));

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.TIMEOUT, failure.code());
    assertTrue(failure.getMessage().contains(AGENT), failure.getMessage());
  }

  @Test
  void aPeerInvalidParamsErrorPassesItsCodeMessageAndDataThrough() {
    JsonObject data = new JsonObject().put("field", "user_id").put("reason", "is required");
    peer.answer(FakePeerAgent.error(ErrorCodes.INVALID_PARAMS, "Invalid params: user_id is required", data));

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.INVALID_PARAMS, failure.code());
    assertEquals("Agent personalization: Invalid params: user_id is required", failure.getMessage());
    assertEquals(data, failure.data());
  }

  @Test
  void aPeerServerErrorPassesItsCodeThrough() {
    peer.answer(FakePeerAgent.error(ErrorCodes.ORCHESTRATOR_ERROR, "model store unavailable", null));

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, failure.code());
    assertEquals("Agent personalization: model store unavailable", failure.getMessage());
  }

  @Test
  void aPeerErrorWithANullIdStillPassesItsCodeThrough() {
    peer.answer((vertx, request, response) -> FakePeerAgent.json(response, 200, new JsonObject()
        .put("jsonrpc", "2.0").putNull("id")
        .put("error", new JsonObject().put("code", ErrorCodes.PARSE_ERROR).put("message", "Parse error"))));

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.PARSE_ERROR, failure.code());
  }

  static Stream<Arguments> garbageAnswers() {
    return Stream.of(
        Arguments.of("a body that is not JSON",
            FakePeerAgent.raw(200, "text/plain", "definitely not json"), "not JSON"),
        Arguments.of("an HTML 500 page",
            FakePeerAgent.raw(500, "text/html", "<html><body>Internal Server Error</body></html>"), "HTTP 500"),
        Arguments.of("a 404",
            FakePeerAgent.raw(404, "application/json", "{\"error\":\"not found\"}"), "HTTP 404"),
        Arguments.of("a JSON array",
            FakePeerAgent.raw(200, "application/json", "[1,2,3]"), "not a JSON object"),
        Arguments.of("a response with the wrong id",
            FakePeerAgent.reply(reply -> reply.put("id", 999_999)), "id does not match"),
        Arguments.of("a response with a string id",
            FakePeerAgent.reply(reply -> reply.put("id", String.valueOf(reply.getValue("id")))), "id does not match"),
        Arguments.of("a response without jsonrpc 2.0",
            FakePeerAgent.reply(reply -> reply.put("jsonrpc", "1.0")), "not JSON-RPC 2.0"),
        Arguments.of("a response without a result",
            FakePeerAgent.reply(reply -> reply.remove("result")), "no result"),
        Arguments.of("a result that is not an object",
            FakePeerAgent.reply(reply -> reply.put("result", new JsonArray().add(1))), "result is not a JSON object"),
        Arguments.of("a response with both result and error",
            FakePeerAgent.reply(reply -> reply.put("error", new JsonObject().put("code", -1).put("message", "x"))),
            "both result and error"),
        Arguments.of("a malformed error object",
            FakePeerAgent.reply(reply -> {
              reply.remove("result");
              reply.put("error", "boom");
            }), "malformed error"),
        Arguments.of("an empty body",
            FakePeerAgent.raw(200, "application/json", ""), "empty response body"));
  }

  @ParameterizedTest(name = "{0} fails with orchestrator error")
  @MethodSource("garbageAnswers")
  void aGarbageAnswerFailsWithOrchestratorErrorNamingTheAgentAndTheProblem(
      String description, FakePeerAgent.Answer answer, String problem) {
    peer.answer(answer);

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, failure.code(), description);
    assertTrue(failure.getMessage().startsWith("Agent personalization: "), failure.getMessage());
    assertTrue(failure.getMessage().contains(problem), failure.getMessage());
  }

  @Test
  void anErrorMessageQuotesAtMostAHundredCharactersOfTheBody() {
    peer.answer(FakePeerAgent.raw(502, "text/plain", "x".repeat(2000)));

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, failure.code());
    long quoted = failure.getMessage().chars().filter(c -> c == 'x').count();
    assertTrue(quoted <= 100, failure.getMessage());
  }

  @Test
  void aResponseOverTheSizeLimitFailsWithOrchestratorError() {
    String big = "y".repeat(MAX_RESPONSE_BYTES * 4);
    peer.answer(FakePeerAgent.reply(reply -> reply.put("result", new JsonObject().put("blob", big))));

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, failure.code());
    assertTrue(failure.getMessage().contains("larger than " + MAX_RESPONSE_BYTES), failure.getMessage());
  }

  @Test
  void repeatedFailuresOpenTheCircuitAndTheNextCallIsNotSent() {
    peer.answer(FakePeerAgent.raw(500, "text/html", "<h1>down</h1>"));
    for (int i = 0; i < MAX_FAILURES; i++) {
      assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, failureOf(client.call("select_variant", PARAMS)).code());
    }
    assertEquals(CircuitBreakerState.OPEN, client.state());

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.CIRCUIT_OPEN, failure.code());
    assertEquals(MAX_FAILURES, peer.received().size());
  }

  @Test
  void repeatedTimeoutsOpenTheCircuit() {
    peer.answer(FakePeerAgent.slow(CLIENT_TIMEOUT_MS * 5));
    for (int i = 0; i < MAX_FAILURES; i++) {
      assertEquals(ErrorCodes.TIMEOUT, failureOf(client.call("select_variant", PARAMS)).code());
    }

    assertEquals(ErrorCodes.CIRCUIT_OPEN, failureOf(client.call("select_variant", PARAMS)).code());
  }

  @Test
  void callerErrorsFromThePeerDoNotOpenTheCircuit() {
    peer.answer(FakePeerAgent.error(ErrorCodes.INVALID_PARAMS, "Invalid params: user_id is required", null));
    int calls = MAX_FAILURES * 2;

    for (int i = 0; i < calls; i++) {
      assertEquals(ErrorCodes.INVALID_PARAMS, failureOf(client.call("select_variant", PARAMS)).code());
    }

    assertEquals(CircuitBreakerState.CLOSED, client.state());
    assertEquals(calls, peer.received().size());
  }

  @Test
  void afterTheResetTimeoutATrialCallSucceedsAndClosesTheCircuit() throws Exception {
    peer.answer(FakePeerAgent.raw(500, "text/html", "<h1>down</h1>"));
    for (int i = 0; i < MAX_FAILURES; i++) {
      failureOf(client.call("select_variant", PARAMS));
    }
    assertEquals(CircuitBreakerState.OPEN, client.state());
    peer.answer(FakePeerAgent.echo());

    awaitState(CircuitBreakerState.HALF_OPEN, RESET_TIMEOUT_MS * 10);
    JsonObject result = await(client.call("select_variant", PARAMS));

    assertEquals(PARAMS, result);
    assertEquals(CircuitBreakerState.CLOSED, client.state());
  }

  @Test
  void aRefusedConnectionFailsWithOrchestratorError() throws Exception {
    String deadUrl = peer.baseUrl();
    peer.close();
    try (AgentClient deadClient = AgentClient.create(vertx, deadUrl, AGENT, OPTIONS)) {
      RpcException failure = failureOf(deadClient.call("select_variant", PARAMS));

      assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, failure.code());
      assertTrue(failure.getMessage().contains("unreachable"), failure.getMessage());
    }
  }

  @Test
  void aClosedClientFailsCallsWithoutSendingThem() {
    client.close();
    client.close();

    RpcException failure = failureOf(client.call("select_variant", PARAMS));

    assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, failure.code());
    assertTrue(peer.received().isEmpty());
  }

  @Test
  void aMethodNameThatIsNotAPathSegmentIsRejectedWithoutSendingIt() {
    RpcException failure = failureOf(client.call("../admin?x=1", PARAMS));

    assertEquals(ErrorCodes.INTERNAL_ERROR, failure.code());
    assertTrue(peer.received().isEmpty());
  }

  @Test
  void createRejectsABaseUrlThatIsNotHttp() {
    assertThrows(IllegalArgumentException.class,
        () -> AgentClient.create(vertx, "ftp://127.0.0.1:4010", AGENT, OPTIONS));
    assertThrows(IllegalArgumentException.class,
        () -> AgentClient.create(vertx, "127.0.0.1:4010", AGENT, OPTIONS));
    assertThrows(IllegalArgumentException.class,
        () -> AgentClient.create(vertx, peer.baseUrl(), "bad/agent", OPTIONS));
  }

  @Test
  void optionsRejectAFailureWindowTheBreakerCannotCount() {
    assertThrows(IllegalArgumentException.class, () -> new AgentClientOptions(100, 3, 999, 300, 4096));
    assertThrows(IllegalArgumentException.class, () -> new AgentClientOptions(0, 3, 1000, 300, 4096));
  }

  // --- helpers ---

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static RpcException failureOf(Future<?> future) {
    Exception failure = assertThrows(Exception.class, () -> await(future));
    return assertInstanceOf(RpcException.class, failure);
  }

  private void awaitState(CircuitBreakerState expected, long withinMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(withinMs);
    while (client.state() != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(expected, client.state());
  }

  /**
   * A real HTTP peer agent on a random port. Each test tells it how to answer; it records every
   * request it receives.
   */
  static final class FakePeerAgent {
    /** How the fake answers one request; {@code request} is the parsed JSON-RPC body, or null. */
    @FunctionalInterface
    interface Answer {
      void answer(Vertx vertx, JsonObject request, HttpServerResponse response);
    }

    record Received(String httpMethod, String path, String contentType, String body) {}

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile Answer answer = echo();
    private boolean closed;

    private FakePeerAgent(Vertx vertx) {
      server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        received.add(new Received(req.method().name(), req.path(),
            String.valueOf(req.getHeader("Content-Type")), body.toString()));
        JsonObject request;
        try {
          request = body.toJsonObject();
        } catch (RuntimeException e) {
          request = null;
        }
        answer.answer(vertx, request, req.response());
      }));
    }

    static FakePeerAgent start(Vertx vertx) throws Exception {
      FakePeerAgent fake = new FakePeerAgent(vertx);
      await(fake.server.listen(0, "127.0.0.1"));
      return fake;
    }

    String baseUrl() {
      return "http://127.0.0.1:" + server.actualPort();
    }

    void answer(Answer answer) {
      this.answer = answer;
    }

    List<Received> received() {
      return received;
    }

    void close() throws Exception {
      if (!closed) {
        closed = true;
        await(server.close());
      }
    }

    /** A correct answer whose result is the request's params. */
    static Answer echo() {
      return reply(reply -> {});
    }

    /** A correct answer, altered by {@code edit} before it is sent. */
    static Answer reply(java.util.function.Consumer<JsonObject> edit) {
      return (vertx, request, response) -> {
        JsonObject reply = new JsonObject()
            .put("jsonrpc", "2.0")
            .put("id", request.getValue("id"))
            .put("result", request.getJsonObject("params"));
        edit.accept(reply);
        json(response, 200, reply);
      };
    }

    /** A correct answer sent only after {@code delayMs}. */
    static Answer slow(long delayMs) {
      return (vertx, request, response) -> vertx.setTimer(delayMs, t -> {
        if (!response.closed()) {
          echo().answer(vertx, request, response);
        }
      });
    }

    static Answer error(int code, String message, JsonObject data) {
      return (vertx, request, response) -> {
        JsonObject error = new JsonObject().put("code", code).put("message", message);
        if (data != null) {
          error.put("data", data);
        }
        json(response, 200, new JsonObject().put("jsonrpc", "2.0").put("id", request.getValue("id")).put("error", error));
      };
    }

    static Answer raw(int status, String contentType, String body) {
      return (vertx, request, response) ->
          response.setStatusCode(status).putHeader("Content-Type", contentType).end(body);
    }

    static void json(HttpServerResponse response, int status, JsonObject body) {
      response.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
  }
}
