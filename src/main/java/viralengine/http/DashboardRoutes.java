package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import viralengine.admin.AdminApi;
import viralengine.api.Requests;
import viralengine.metrics.ServiceMetrics;
import viralengine.rpc.RpcException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The live dashboard: one self-contained page, and a Server-Sent Events stream that pushes a snapshot
 * every second (rates, latency percentiles, errors by code, health, the latest decisions). One timer per
 * HTTP instance serves every subscriber, and only while there are subscribers.
 */
final class DashboardRoutes {
  static final long PUSH_INTERVAL_MS = 1_000;
  static final int MAX_SUBSCRIBERS = 32;
  static final int RECENT_CHANGES = 10;
  static final String PAGE = "dashboard/index.html";
  /** uPlot, served from its webjar in this JAR: the charts need no remote asset. */
  static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";
  static final String UPLOT_JS = "/dashboard/assets/uplot.min.js";
  static final String UPLOT_CSS = "/dashboard/assets/uplot.min.css";
  private static final String CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
      + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final Vertx vertx;
  private final OrchestratorClient orchestrator;
  private final ServiceMetrics metrics;
  private final List<HttpServerResponse> subscribers = new ArrayList<>();
  private long timer = -1;
  private boolean pushing;

  DashboardRoutes(Vertx vertx, OrchestratorClient orchestrator, ServiceMetrics metrics) {
    this.vertx = vertx;
    this.orchestrator = orchestrator;
    this.metrics = metrics;
  }

  void page(RoutingContext ctx) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Security-Policy", CSP)
        .sendFile(PAGE);
  }

  /** uPlot's script and style sheet: two fixed files, never a path taken from the request. */
  void uplotScript(RoutingContext ctx) {
    asset(ctx, "text/javascript; charset=utf-8", UPLOT + "uPlot.iife.min.js");
  }

  void uplotStyle(RoutingContext ctx) {
    asset(ctx, "text/css; charset=utf-8", UPLOT + "uPlot.min.css");
  }

  private static void asset(RoutingContext ctx, String type, String file) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, type)
        .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=86400")
        .putHeader("X-Content-Type-Options", "nosniff")
        .sendFile(file);
  }

  /**
   * The dashboard's loop_report panel: {@code GET /dashboard/loop_report?from=&to=&group_by=}, for a token with
   * scope observe; the same validation and answer as the JSON-RPC method (which needs decide).
   */
  void loopReport(RoutingContext ctx) {
    JsonObject params = new JsonObject();
    for (String name : List.of("from", "to", "group_by")) {
      String value = ctx.request().getParam(name);
      if (value != null) {
        params.put(name, value);
      }
    }
    Requests.Parsed request;
    try {
      request = Requests.parse(Requests.LOOP_REPORT, params, REPORT_LIMITS, Instant.now());
    } catch (RpcException e) {
      Responses.rpcError(ctx, 400, e);
      return;
    }
    orchestrator.call(request)
        .onSuccess(report -> Responses.json(ctx, 200, report))
        .onFailure(err -> Responses.rpcError(ctx, 503, err instanceof RpcException rpc ? rpc
            : new RpcException(viralengine.rpc.ErrorCodes.INTERNAL_ERROR, "Internal error")));
  }

  /** loop_report has no context param: these bounds are never used, but parse takes them. */
  private static final Requests.Limits REPORT_LIMITS = new Requests.Limits(2, 1);

  void events(RoutingContext ctx) {
    if (subscribers.size() >= MAX_SUBSCRIBERS) {
      Responses.error(ctx, 503, "too_many_subscribers", "At most " + MAX_SUBSCRIBERS + " dashboards per instance");
      return;
    }
    HttpServerResponse response = ctx.response()
        .setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("X-Content-Type-Options", "nosniff");
    response.write("retry: 1000\n\n");
    subscribers.add(response);
    response.closeHandler(v -> unsubscribe(response));
    response.exceptionHandler(err -> unsubscribe(response));
    if (timer < 0) {
      timer = vertx.setPeriodic(1, PUSH_INTERVAL_MS, id -> push());
    }
  }

  /**
   * Ends every open stream. Called at the start of the drain: an event stream never finishes by itself, so
   * left open it would hold the drain for its full timeout. Browsers reconnect to whichever server is up.
   */
  void closeAll() {
    for (HttpServerResponse subscriber : List.copyOf(subscribers)) {
      subscriber.end();
    }
    subscribers.clear();
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void unsubscribe(HttpServerResponse response) {
    subscribers.remove(response);
    if (subscribers.isEmpty() && timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void push() {
    if (pushing) {
      return; // the previous frame is still waiting for its health report
    }
    pushing = true;
    Future<JsonObject> health = orchestrator.health();
    Future<JsonArray> changes = recentChanges();
    Future.join(health, changes).onComplete(done -> pushing = false).onComplete(done -> {
      if (health.failed()) {
        return;
      }
      String frame = "data: " + snapshot(health.result()).put("changes", changes.result()).encode() + "\n\n";
      for (HttpServerResponse subscriber : List.copyOf(subscribers)) {
        if (subscriber.writeQueueFull()) {
          continue; // a slow reader skips a frame rather than buffering without bound
        }
        subscriber.write(frame);
      }
    });
  }

  /** The newest loop and rule changes (who, when, what), without their before and after; empty when unknown. */
  private Future<JsonArray> recentChanges() {
    return vertx.eventBus().<JsonObject>request(AdminApi.address(AdminApi.LIST_CHANGES),
            new JsonObject().put("limit", RECENT_CHANGES), new DeliveryOptions().setSendTimeout(PUSH_INTERVAL_MS))
        .map(reply -> {
          JsonArray brief = new JsonArray();
          reply.body().getJsonArray("changes", new JsonArray()).forEach(c -> {
            JsonObject change = (JsonObject) c;
            brief.add(new JsonObject().put("changed_at", change.getString("changed_at")).put("actor", change.getString("actor"))
                .put("entity", change.getString("entity")).put("key", change.getString("key"))
                .put("action", change.getString("action")));
          });
          return brief;
        })
        .otherwise(err -> new JsonArray());
  }

  /** The snapshot pushed every second; the page renders exactly these fields. */
  JsonObject snapshot(JsonObject health) {
    return metrics.live().snapshot()
        .put("time", Instant.now().toString())
        .put("health", health)
        .put("decisions", metrics.recent().newestFirst())
        .put("loops", metrics.loopActivity().lastHour())
        .put("agents", metrics.agents())
        .put("timeline", metrics.timeline().lastHour().put("outcomes", metrics.loopActivity().outcomesPerMinute()));
  }
}
