package viralengine.http;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.vertx.ext.web.handler.CorsHandler;
import viralengine.admission.Admission;
import viralengine.auth.BearerAuth;
import viralengine.auth.RateLimitHandler;
import viralengine.connections.ConnectionGuard;
import viralengine.auth.Scope;
import viralengine.auth.TokenSet;
import viralengine.config.AppConfig;
import viralengine.metrics.LastError;
import viralengine.orchestrator.Fallbacks;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.mcp.McpEndpoint;
import viralengine.peers.PeerAgent;
import viralengine.peers.PeerAgents;
import viralengine.metrics.ServiceMetrics;

import java.util.concurrent.TimeUnit;

/**
 * The HTTP edge: JSON-RPC, health and metrics. Deploy one instance per event loop; they share the
 * port, the circuit breaker and the decision store.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  static final String AGENT = "orchestrator";
  /** What a 404 lists: the routes a caller can use, in the order of the route table below. */
  static final java.util.List<String> ROUTES = java.util.List.of(
      "GET /health", "GET /health/live", "GET /health/ready", "GET /metrics",
      "GET /dashboard", "GET /dashboard/events", "GET /dashboard/loop_report",
      "GET /mcp/orchestrator/health", "POST /mcp/orchestrator", "POST /mcp/orchestrator/{method}",
      "POST /mcp/admin", "POST /mcp/admin/{method}",
      "POST /mcp/trust_safety", "POST /mcp/trust_safety/{method}", "POST /mcp/personalization",
      "POST /mcp/personalization/{method}", "POST /mcp/incentives", "POST /mcp/incentives/{method}", "POST /mcp");

  private final AppConfig config;
  private final CircuitBreaker breaker;
  private final Fallbacks fallbacks;
  private final LastError lastError;
  private final ServiceMetrics metrics;
  private final EdgeGuards guards;
  private HttpServer server;
  private DashboardRoutes dashboard;

  public HttpVerticle(AppConfig config, CircuitBreaker breaker, Fallbacks fallbacks, LastError lastError,
      ServiceMetrics metrics, EdgeGuards guards) {
    this.config = config;
    this.breaker = breaker;
    this.fallbacks = fallbacks;
    this.lastError = lastError;
    this.metrics = metrics;
    this.guards = guards;
  }

  @Override
  public Future<?> start() {
    OrchestratorClient orchestrator = new OrchestratorClient(vertx, breaker, fallbacks, lastError,
        config.orchestrator().timeoutMs());
    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setMaxInitialLineLength(4096)
        .setMaxHeaderSize(8192)
        // h2c off: with it on, Vert.x reports a connection only once a whole request head has arrived,
        // so a client that never finishes one would escape ConnectionGuard's head deadline.
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, config.connections().idleTimeoutMs()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS));
    ConnectionGuard guard = new ConnectionGuard(config.connections(), guards.connections(), metrics.edge(), System::nanoTime);
    return server.requestHandler(guard.install(vertx, server, router(orchestrator))).listen()
        .onSuccess(s -> {
          guards.rehearsal().listening(s.actualPort());
          LOG.debug("HTTP listening on {}:{}", config.http().host(), s.actualPort());
        });
  }

  /** Ends the dashboard streams, stops accepting connections and lets requests in flight finish within the drain timeout. */
  @Override
  public Future<?> stop() {
    if (dashboard != null) {
      dashboard.closeAll();
    }
    return server == null ? Future.succeededFuture() : server.shutdown(config.drainTimeoutMs(), TimeUnit.MILLISECONDS);
  }

  Router router(OrchestratorClient orchestrator) {
    Router router = Router.router(vertx);
    Admission admission = new Admission(config.limits(), guards.pressure(), metrics.edge()::shed)
        .waitingWith(Admission.Timers.of(vertx));
    metrics.admission(admission::limit, admission::inFlight);
    RpcHandler rpc = new RpcHandler(orchestrator, config.limits(), admission, metrics);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(config.limits().maxBodyBytes());

    cors(router);
    protect(router);

    router.get("/health/live").handler(HealthRoutes.liveness(vertx));
    HealthCheckHandler readiness = HealthRoutes.readiness(vertx, orchestrator, guards.connections());
    router.get("/health/ready").handler(readiness);
    // The route a newcomer tries first: it answers what a load balancer's probe of /health/ready gets.
    router.get("/health").handler(readiness);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics.registry()));
    dashboard = new DashboardRoutes(vertx, orchestrator, metrics);
    router.get("/dashboard").handler(dashboard::page);
    router.get("/dashboard/events").handler(dashboard::events);
    router.get(DashboardRoutes.UPLOT_JS).handler(dashboard::uplotScript);
    router.get(DashboardRoutes.UPLOT_CSS).handler(dashboard::uplotStyle);
    router.get("/dashboard/loop_report").handler(dashboard::loopReport);
    router.get("/mcp/:agent/health").handler(this::requireAgent).handler(ctx -> agentHealth(ctx, orchestrator));
    // Agent admin: loops and frequency rules as data (viralengine.admin), on routes of its own.
    AdminAgent adminAgent = new AdminAgent(vertx);
    RpcHandler admin = new RpcHandler(adminAgent, config.limits(), admission, metrics);
    router.post("/mcp/admin/:method").handler(body).handler(admin::handle);
    router.post("/mcp/admin").handler(body).handler(admin::handle);
    // The built-in peer agents (trust_safety, personalization, incentives), each on routes of its own.
    java.util.Map<String, PeerAgentRoute> peers = new java.util.LinkedHashMap<>();
    for (PeerAgent peer : PeerAgents.ALL) {
      PeerAgentRoute route = new PeerAgentRoute(vertx, peer);
      peers.put(peer.name(), route);
      RpcHandler handler = new RpcHandler(route, config.limits(), admission, metrics);
      router.post("/mcp/" + peer.name() + "/:method").handler(body).handler(handler::handle);
      router.post("/mcp/" + peer.name()).handler(body).handler(handler::handle);
    }
    router.post("/mcp/:agent/:method").handler(body).handler(this::requireAgent).handler(rpc::handle);
    router.post("/mcp/:agent").handler(body).handler(this::requireAgent).handler(rpc::handle);
    // MCP (Streamable HTTP) on /mcp: its tools go through this same client, breaker and fallbacks.
    new McpEndpoint(config, new McpEndpoint.Backend(orchestrator::call, orchestrator::health, adminAgent::call,
        (agent, method, params, caller) -> peers.get(agent).call(method, params, caller)), admission).mount(router, body);

    router.route().last().handler(HttpVerticle::notFound);
    router.errorHandler(405, ctx -> Responses.error(ctx, 405, "method_not_allowed", "Method " + ctx.request().method() + " is not allowed here"));
    router.errorHandler(413, ctx -> Responses.rpcError(ctx, 413, new RpcException(ErrorCodes.INVALID_REQUEST,
        "Request body exceeds limits.max_body_bytes=" + config.limits().maxBodyBytes())));
    router.errorHandler(500, this::internalError);
    return router;
  }

  /**
   * Token checks on routes of their own, ahead of every other route: they run before any body is read.
   * Every JSON-RPC and MCP route, the dashboard, and /metrics unless {@code metrics.public}; the health
   * probes stay open.
   */
  private void protect(Router router) {
    TokenSet tokens = TokenSet.of(config.security().tokens());
    BearerAuth api = BearerAuth.api(tokens, HttpVerticle::apiScope);
    BearerAuth browser = BearerAuth.browser(tokens, Scope.OBSERVE);
    RateLimitHandler rateLimit = new RateLimitHandler(guards.rateLimits(), metrics.edge()::rateLimited);
    router.route("/mcp").handler(api).handler(rateLimit);
    router.route("/mcp/*").handler(guards.rehearsal().unlessRehearsal(api))
        .handler(guards.rehearsal().unlessRehearsal(rateLimit));
    router.route("/dashboard").handler(browser);
    router.route("/dashboard/*").handler(browser);
    if (!config.security().metricsPublic()) {
      router.route("/metrics").handler(BearerAuth.api(tokens, path -> Scope.OBSERVE));
    }
  }

  /**
   * The admin agent needs {@code admin}; a peer agent's method named in the path needs that method's scope (its bare
   * route needs {@code decide}, and each method's scope is checked again once the body names it); every other
   * JSON-RPC route and MCP need {@code decide}.
   */
  static Scope apiScope(String normalizedPath) {
    String path = normalizedPath.toLowerCase(java.util.Locale.ROOT); // whatever case the router would still match
    if (path.equals("/mcp/admin") || path.startsWith("/mcp/admin/")) {
      return Scope.ADMIN;
    }
    String[] parts = path.split("/");
    PeerAgent peer = parts.length == 4 ? PeerAgents.named(parts[2]) : null;
    PeerAgent.Method method = peer == null ? null : peer.method(parts[3]);
    return method == null ? Scope.DECIDE : method.scope();
  }

  /** CORS stays off (no headers at all) unless {@code http.cors_origins} names the origins to allow. */
  private void cors(Router router) {
    if (!config.security().corsOrigins().isEmpty()) {
      router.route().handler(CorsHandler.create()
          .addOrigins(config.security().corsOrigins())
          .allowedMethods(java.util.Set.of(io.vertx.core.http.HttpMethod.GET, io.vertx.core.http.HttpMethod.POST))
          .allowedHeaders(java.util.Set.of("content-type", "authorization", "accept", "mcp-protocol-version", "mcp-method", "mcp-name"))
          .maxAgeSeconds(600));
    }
  }

  /** A 404 that says what would have answered: a caller who guessed a path learns the real ones. */
  private static void notFound(RoutingContext ctx) {
    Responses.json(ctx, 404, new JsonObject().put("error", "not_found")
        .put("message", "No route for " + ctx.request().method() + " " + ctx.request().path())
        .put("routes", new JsonArray(ROUTES)));
  }

  private void requireAgent(RoutingContext ctx) {
    if (AGENT.equals(ctx.pathParam("agent"))) {
      ctx.next();
    } else {
      Responses.error(ctx, 404, "not_found", "Unknown agent; this service hosts agents '" + AGENT
          + "', 'admin', 'trust_safety', 'personalization' and 'incentives'");
    }
  }

  private void agentHealth(RoutingContext ctx, OrchestratorClient orchestrator) {
    orchestrator.health().onSuccess(body -> Responses.json(ctx, "down".equals(body.getString("status")) ? 503 : 200, body));
  }

  private void internalError(RoutingContext ctx) {
    LOG.error("Unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
    if (!ctx.response().headWritten()) {
      Responses.error(ctx, 500, "internal_error", "Internal error");
    }
  }

}
