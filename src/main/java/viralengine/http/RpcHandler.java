package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.admission.Admission;
import viralengine.admission.ShedPause;
import viralengine.api.ApiSchema;
import viralengine.api.Requests;
import viralengine.auth.Principal;
import viralengine.config.AppConfig;
import viralengine.metrics.ServiceMetrics;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.JsonBounds;
import viralengine.rpc.JsonRpc;
import viralengine.rpc.OpenRpc;
import viralengine.rpc.RpcException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON-RPC 2.0 over HTTP for one agent: single requests, batches and notifications. For agent
 * {@code orchestrator}, params are validated here, at the edge, so bad input never reaches the breaker or
 * the event bus; another agent plugs in its own {@link Agent}. One instance per agent and HTTP verticle; the
 * in-flight bound ({@link Admission}) is shared with the MCP route.
 */
final class RpcHandler {
  /** Answers one valid request of an agent: its result, or a failed future (or a thrown RpcException). */
  interface Agent {
    Future<JsonObject> call(JsonRpc.Request request, RoutingContext ctx);
  }

  private static final Logger LOG = LoggerFactory.getLogger(RpcHandler.class);
  static final String RETRY_AFTER_SECONDS = "1";

  private final OrchestratorClient orchestrator;
  private final AppConfig.Limits limits;
  private final Requests.Limits requestLimits;
  private final JsonBounds json;
  /** The OpenRPC document {@code rpc.discover} answers, built once from {@link ApiSchema}. */
  private final JsonObject openRpc;
  private final ServiceMetrics metrics;
  private final Admission admission;
  private final Agent agent;

  RpcHandler(OrchestratorClient orchestrator, AppConfig.Limits limits, Admission admission, ServiceMetrics metrics) {
    this(orchestrator, null, limits, admission, metrics);
  }

  /** The JSON-RPC endpoint of another agent, such as {@code admin}. */
  RpcHandler(Agent agent, AppConfig.Limits limits, Admission admission, ServiceMetrics metrics) {
    this(null, agent, limits, admission, metrics);
  }

  private RpcHandler(OrchestratorClient orchestrator, Agent agent, AppConfig.Limits limits, Admission admission,
      ServiceMetrics metrics) {
    this.agent = agent == null ? this::orchestratorCall : agent;
    this.orchestrator = orchestrator;
    this.limits = limits;
    this.requestLimits = new Requests.Limits(limits.maxContextBytes(), limits.maxContextDepth());
    this.json = new JsonBounds(limits.maxBatch(), limits.maxJsonDepth(), limits.maxStringLength());
    this.openRpc = ApiSchema.of(requestLimits).openRpc();
    this.metrics = metrics;
    this.admission = admission;
  }

  void handle(RoutingContext ctx) {
    if (!isJson(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
      Responses.rpcError(ctx, 415, new RpcException(ErrorCodes.INVALID_REQUEST,
          "Unsupported Media Type: send Content-Type: application/json"));
      return;
    }
    JsonRpc.Body body;
    try {
      Buffer buffer = ctx.body().buffer();
      body = JsonRpc.decode(buffer == null ? Buffer.buffer() : buffer, json);
    } catch (RpcException e) {
      metrics.request("invalid", e.code(), 0);
      Responses.rpcError(ctx, 200, e);
      return;
    }
    int work = body.entries().size();
    if (Rehearsal.marked(ctx)) {
      // The start-up rehearsal takes no permit: its cold, slow answers must not lower the bound real callers meet.
      answerAll(ctx, body, done -> { });
      return;
    }
    admission.acquire(Principal.of(ctx).name(), work, ticket -> {
      if (ticket != null) {
        answerAll(ctx, body, answered -> ticket.release(errorCode(answered)));
        return;
      }
      for (JsonRpc.Entry entry : body.entries()) {
        metrics.request(entry instanceof JsonRpc.Request r ? r.method() : "invalid", ErrorCodes.OVERLOADED, 0);
      }
      RpcException shed = new RpcException(ErrorCodes.OVERLOADED, admission.overloadedMessage());
      ShedPause.answer(ctx, admission.shedDelayMs(Principal.of(ctx).name()), () -> {
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        Responses.rpcError(ctx, 503, shed);
      });
    });
  }

  private void answerAll(RoutingContext ctx, JsonRpc.Body body, java.util.function.Consumer<JsonObject> answered) {
    String pathMethod = ctx.pathParam("method");
    List<Future<JsonObject>> answers = new ArrayList<>(body.entries().size());
    for (JsonRpc.Entry entry : body.entries()) {
      answers.add(answer(entry, pathMethod, ctx).onComplete(done -> answered.accept(done.result())));
    }
    Future.join(answers).onComplete(done -> respond(ctx, body.batch(), answers));
  }

  private static void respond(RoutingContext ctx, boolean batch, List<Future<JsonObject>> answers) {
    JsonArray responses = new JsonArray();
    for (Future<JsonObject> answer : answers) {
      if (answer.result() != null) {
        responses.add(answer.result());
      }
    }
    if (responses.isEmpty()) {
      Responses.noContent(ctx);
    } else if (!batch && isOverloaded(responses.getJsonObject(0))) {
      // However the overload was found (in-flight bound, full write queue), it answers the same way.
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
      Responses.json(ctx, 503, responses.getJsonObject(0));
    } else {
      Responses.json(ctx, 200, batch ? responses : responses.getJsonObject(0));
    }
  }

  /** The response object for one entry, or null for a notification. Never fails. */
  private Future<JsonObject> answer(JsonRpc.Entry entry, String pathMethod, RoutingContext ctx) {
    long started = System.nanoTime();
    if (entry instanceof JsonRpc.Invalid invalid) {
      metrics.request("invalid", invalid.error().code(), System.nanoTime() - started);
      return Future.succeededFuture(JsonRpc.error(invalid.id(), invalid.error()));
    }
    JsonRpc.Request request = (JsonRpc.Request) entry;
    Future<JsonObject> result;
    try {
      result = dispatch(request, pathMethod, ctx);
    } catch (RpcException e) {
      result = Future.failedFuture(e);
    }
    return result.transform(done -> {
      if (!Rehearsal.marked(ctx)) {
        // The start-up rehearsal is nobody's request: the dashboard and the request metrics show callers only.
        metrics.request(request.method(), done.succeeded() ? null : safe(done.cause()).code(), System.nanoTime() - started);
      }
      if (request.notification()) {
        return Future.succeededFuture(null);
      }
      if (done.succeeded()) {
        return Future.succeededFuture(JsonRpc.success(request.id(), done.result()));
      }
      return Future.succeededFuture(JsonRpc.error(request.id(), safe(done.cause())));
    });
  }

  private Future<JsonObject> dispatch(JsonRpc.Request request, String pathMethod, RoutingContext ctx) {
    if (pathMethod != null && !pathMethod.equals(request.method())) {
      throw new RpcException(ErrorCodes.INVALID_REQUEST,
          "Invalid Request: method in the body does not match the path's method '" + pathMethod + "'");
    }
    return agent.call(request, ctx);
  }

  private Future<JsonObject> orchestratorCall(JsonRpc.Request request, RoutingContext ctx) {
    if (Requests.HEALTH.equals(request.method())) {
      return orchestrator.health();
    }
    if (OpenRpc.DISCOVER.equals(request.method())) {
      return Future.succeededFuture(openRpc.copy());
    }
    return orchestrator.call(Requests.parse(request.method(), request.params(), requestLimits, Instant.now()),
        Rehearsal.marked(ctx));
  }

  private static RpcException safe(Throwable err) {
    if (err instanceof RpcException rpc) {
      return rpc;
    }
    LOG.error("Unexpected failure answering a JSON-RPC request", err);
    return new RpcException(ErrorCodes.INTERNAL_ERROR, "Internal error");
  }

  private static boolean isOverloaded(JsonObject response) {
    return Integer.valueOf(ErrorCodes.OVERLOADED).equals(errorCode(response));
  }

  /** The error code of a response object; null for a result or a notification. */
  private static Integer errorCode(JsonObject response) {
    JsonObject error = response == null ? null : response.getJsonObject("error");
    return error == null ? null : error.getInteger("code");
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
    return type.equalsIgnoreCase("application/json");
  }
}
