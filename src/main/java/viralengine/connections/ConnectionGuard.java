package viralengine.connections;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import viralengine.config.AppConfig;
import viralengine.metrics.EdgeMetrics;

import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Reaps slow clients (Slowloris) and bounds open connections, for one HTTP instance. Each connection
 * always has a deadline for what it owes us next:
 * <ul>
 *   <li>a new connection: a complete request head within {@code http.request_head_timeout_ms};</li>
 *   <li>a request whose head arrived: its complete body within {@code http.request_body_timeout_ms}, else
 *       HTTP 408 and the connection is closed;</li>
 *   <li>a keep-alive connection whose answer was sent: its next complete head within {@code http.idle_timeout_ms}.</li>
 * </ul>
 * While we are answering, the client owes nothing and there is no deadline. A partial head is closed
 * without a 408: Vert.x's public API cannot write to a connection before a request head has been parsed.
 * One timer per instance sweeps the connections, so a deadline is kept to within a sweep period.
 * Everything here runs on the instance's event loop.
 */
public final class ConnectionGuard {
  static final String HEAD = "head";
  static final String BODY = "body";
  static final String IDLE = "idle";
  private static final String TIMEOUT_BODY = "{\"error\":\"request_timeout\",\"message\":\"The request body was not"
      + " received within http.request_body_timeout_ms\"}";

  private final AppConfig.Connections settings;
  private final ConnectionBound bound;
  private final EdgeMetrics metrics;
  private final LongSupplier nanoClock;
  private final Map<HttpConnection, Tracked> open = new IdentityHashMap<>();

  /** What one connection owes us next, and by when. */
  private static final class Tracked {
    HttpServerRequest request;
    long deadline;
    String reason;
  }

  public ConnectionGuard(AppConfig.Connections settings, ConnectionBound bound, EdgeMetrics metrics, LongSupplier nanoClock) {
    this.settings = settings;
    this.bound = bound;
    this.metrics = metrics;
    this.nanoClock = nanoClock;
  }

  /** Hooks into the server and starts the sweep; returns the request handler to give the server. */
  public Handler<HttpServerRequest> install(Vertx vertx, HttpServer server, Handler<HttpServerRequest> next) {
    server.connectionHandler(this::opened);
    vertx.setPeriodic(sweepPeriodMs(), id -> sweep());
    return request -> {
      started(request);
      next.handle(request);
    };
  }

  /** A quarter of the shortest deadline, between 10 ms and 1 s. */
  long sweepPeriodMs() {
    long shortest = Math.min(settings.headTimeoutMs(), Math.min(settings.bodyTimeoutMs(), settings.idleTimeoutMs()));
    return Math.max(10, Math.min(1_000, shortest / 4));
  }

  private void opened(HttpConnection connection) {
    if (!bound.tryOpen()) {
      metrics.refused();
      connection.close();
      return;
    }
    Tracked tracked = new Tracked();
    owe(tracked, HEAD, settings.headTimeoutMs());
    open.put(connection, tracked);
    connection.closeHandler(v -> {
      if (open.remove(connection) != null) {
        bound.closed();
      }
    });
  }

  private void started(HttpServerRequest request) {
    Tracked tracked = open.get(request.connection());
    if (tracked != null) {
      tracked.request = request;
      owe(tracked, BODY, settings.bodyTimeoutMs());
    }
  }

  private void owe(Tracked tracked, String what, long ms) {
    tracked.reason = what;
    tracked.deadline = nanoClock.getAsLong() + ms * 1_000_000;
  }

  void sweep() {
    long now = nanoClock.getAsLong();
    Iterator<Map.Entry<HttpConnection, Tracked>> it = open.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<HttpConnection, Tracked> entry = it.next();
      HttpConnection connection = entry.getKey();
      Tracked tracked = entry.getValue();
      advance(tracked);
      if (tracked.reason != null && now - tracked.deadline > 0) {
        it.remove();
        bound.closed();
        close(connection, tracked);
      }
    }
  }

  /** Moves a connection on when its request has been read (nothing owed) or answered (the next head is owed). */
  private void advance(Tracked tracked) {
    HttpServerRequest request = tracked.request;
    if (request == null) {
      return;
    }
    if (request.response().ended()) {
      tracked.request = null;
      owe(tracked, IDLE, settings.idleTimeoutMs());
    } else if (tracked.reason != null && request.isEnded()) {
      tracked.reason = null;
    }
  }

  private void close(HttpConnection connection, Tracked tracked) {
    metrics.closedSlow(tracked.reason);
    HttpServerResponse response = tracked.request == null ? null : tracked.request.response();
    if (BODY.equals(tracked.reason) && response != null && !response.headWritten()) {
      response.setStatusCode(408)
          .putHeader(HttpHeaders.CONNECTION, "close")
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(TIMEOUT_BODY)
          .onComplete(done -> connection.close());
    } else {
      connection.close();
    }
  }
}
