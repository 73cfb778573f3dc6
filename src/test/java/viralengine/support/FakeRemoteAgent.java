package viralengine.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A remote agent for the decision's three agents: a real HTTP server that speaks JSON-RPC at
 * {@code /mcp/{agent}/{method}} and misbehaves on demand, one {@link Mode} per agent. It stands in for a peer that
 * cannot run here (an LLM-backed personalization service, say).
 */
public final class FakeRemoteAgent implements AutoCloseable {
  public enum Mode { OK, SLOW, FAILING, MALFORMED, HANGING }

  public static final long SLOW_MS = 300;
  private final HttpServer server;
  private final Vertx vertx;
  private final Map<String, Mode> modes = new ConcurrentHashMap<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final List<JsonObject> requests = new CopyOnWriteArrayList<>();
  /** Requests left unanswered on purpose (hanging), ended at close. */
  private final List<HttpServerRequest> hung = new CopyOnWriteArrayList<>();

  private FakeRemoteAgent(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  public static FakeRemoteAgent start(Vertx vertx) {
    FakeRemoteAgent[] self = new FakeRemoteAgent[1];
    HttpServer server = vertx.createHttpServer().requestHandler(request -> self[0].handle(request));
    self[0] = new FakeRemoteAgent(vertx, server);
    TestService.await(server.listen(0, "127.0.0.1"));
    return self[0];
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public void mode(String agent, Mode mode) {
    modes.put(agent, mode);
  }

  public void everyAgent(Mode mode) {
    List.of("trust_safety", "personalization", "incentives").forEach(agent -> mode(agent, mode));
  }

  public List<String> authorizations() {
    return authorizations;
  }

  public List<JsonObject> requests() {
    return requests;
  }

  private void handle(HttpServerRequest request) {
    String[] path = request.path().split("/"); // "", "mcp", agent, method
    String agent = path.length > 2 ? path[2] : "";
    authorizations.add(String.valueOf(request.getHeader("Authorization")));
    request.body().onSuccess(body -> {
      JsonObject call = body.toJsonObject();
      requests.add(call.copy().put("agent", agent));
      Mode mode = modes.getOrDefault(agent, Mode.OK);
      switch (mode) {
        case OK -> answer(request, call, result(agent));
        case SLOW -> vertx.setTimer(SLOW_MS, id -> answer(request, call, result(agent)));
        case FAILING -> request.response().setStatusCode(503).end("agent down");
        case MALFORMED -> answer(request, call, malformed(agent));
        case HANGING -> hung.add(request);
      }
    });
  }

  private static void answer(HttpServerRequest request, JsonObject call, JsonObject result) {
    if (!request.response().closed()) {
      request.response().putHeader("content-type", "application/json").end(new JsonObject().put("jsonrpc", "2.0")
          .put("id", call.getValue("id")).put("result", result).encode());
    }
  }

  static JsonObject result(String agent) {
    return switch (agent) {
      case "trust_safety" -> new JsonObject().put("verdict", "allow").put("reasons", new JsonArray()).put("risk_score", 0.1);
      case "personalization" -> new JsonObject().put("headline", "Remote headline").put("body", "Remote body")
          .put("cta", "Go").put("share_copy", "Join me");
      default -> new JsonObject().put("reward", new JsonObject().put("type", "xp").put("amount", 50)
          .putNull("expires_in_days"));
    };
  }

  /** Well-formed JSON-RPC whose result breaks the contract. */
  private static JsonObject malformed(String agent) {
    return switch (agent) {
      case "trust_safety" -> new JsonObject().put("verdict", "probably_fine").put("reasons", new JsonArray())
          .put("risk_score", 0.1);
      case "personalization" -> new JsonObject().put("headline", "x".repeat(121)).put("body", "b").put("cta", "c")
          .put("share_copy", "s");
      default -> new JsonObject().put("reward", new JsonObject().put("type", "xp").put("amount", -5));
    };
  }

  @Override
  public void close() {
    hung.forEach(request -> request.response().reset());
    TestService.await(server.close());
  }
}
