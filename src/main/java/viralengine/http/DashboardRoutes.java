package viralengine.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.admin.AdminApi;
import io.vertx.ext.web.RoutingContext;
import viralengine.metrics.ServiceMetrics;

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
  private static final String CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
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
        .put("loops", metrics.loopActivity().lastHour());
  }
}
