package viralengine.mcp;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.admission.Admission;
import viralengine.admission.ShedPause;
import viralengine.api.ApiSchema;
import viralengine.api.Requests;
import viralengine.auth.Principal;
import viralengine.config.AppConfig;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.JsonBounds;
import viralengine.rpc.RpcException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code POST /mcp}: the orchestrator as an MCP server over the Streamable HTTP transport, serving both
 * protocol eras on one endpoint and choosing per request.
 *
 * <p>A request is <b>modern</b> (2026-07-28, stateless) when its {@code MCP-Protocol-Version} header says
 * 2026-07-28 or its {@code params._meta} carries {@code io.modelcontextprotocol/protocolVersion}; the header
 * must then be present and equal that field (else 400, -32020). Otherwise it is <b>legacy</b>: the header's
 * version, or 2025-03-26 when there is none. A header naming a version not served here is 400 with -32022
 * and {@code data.supported}, in either era. Modern requests must also carry {@code Mcp-Method} (and, for
 * {@code tools/call}, {@code Mcp-Name}) matching the body, and the required {@code _meta} fields.
 *
 * <p>Every answer is one JSON object ({@code application/json}); nothing is streamed, no session id is
 * minted, notifications get 202, batches are rejected, and GET and DELETE get 405. Before anything else the
 * {@code Origin} (when present) and {@code Host} are checked against the allow-list (403 otherwise).
 * One instance per HTTP verticle: the in-flight count needs no locking.
 */
public final class McpEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);
  public static final String PATH = "/mcp";
  static final String PROTOCOL_VERSION = "MCP-Protocol-Version";
  static final String MCP_METHOD = "Mcp-Method";
  static final String MCP_NAME = "Mcp-Name";
  static final String META_VERSION = "io.modelcontextprotocol/protocolVersion";
  static final String META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  static final String RETRY_AFTER_SECONDS = "1";
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
  private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
  private static final CharSequence X_CONTENT_TYPE_OPTIONS = HttpHeaders.createOptimized("X-Content-Type-Options");
  private static final String BASE64_PREFIX = "=?base64?";
  private static final String BASE64_SUFFIX = "?=";

  /**
   * How tools reach the orchestrator: the HTTP side's client ({@code OrchestratorClient::call} and
   * {@code ::health}), so MCP calls share its event-bus addresses, circuit breaker, fallbacks and decision log.
   */
  public record Backend(Function<Requests.Parsed, Future<JsonObject>> call, Supplier<Future<JsonObject>> health,
      AdminCall admin, PeerCall peers) {
    /** Without the built-in peer agents' tools. */
    public Backend(Function<Requests.Parsed, Future<JsonObject>> call, Supplier<Future<JsonObject>> health,
        AdminCall admin) {
      this(call, health, admin, null);
    }
  }

  /** A built-in peer agent's method (trust_safety, personalization, incentives), run for {@code caller}. */
  @FunctionalInterface
  public interface PeerCall {
    Future<JsonObject> call(String agent, String method, JsonObject params, Principal caller);
  }

  /** An admin agent method, run on behalf of {@code actor} (the caller's token name, for the audit trail). */
  @FunctionalInterface
  public interface AdminCall {
    Future<JsonObject> call(String method, JsonObject params, String actor);
  }

  /** One JSON-RPC message from the client: a request ({@code id} set) or a notification. */
  private record Message(Object id, boolean notification, String method, JsonObject params) {}

  private final OriginPolicy policy;
  private final McpProtocol protocol;
  private final Admission admission;
  /** The JSON-RPC endpoint's strict parser and bounds (depth, string length, duplicate keys, UTF-8); batches never reach it. */
  private final JsonBounds json;

  /** {@code admission}: the HTTP instance's in-flight bound, shared with its JSON-RPC routes. */
  public McpEndpoint(AppConfig config, Backend backend, Admission admission) {
    Requests.Limits limits = new Requests.Limits(config.limits().maxContextBytes(), config.limits().maxContextDepth());
    this.policy = OriginPolicy.of(config.mcp(), config.http().host());
    this.protocol = new McpProtocol(new McpTools(ApiSchema.of(limits), limits, backend));
    this.admission = admission;
    this.json = new JsonBounds(1, config.limits().maxJsonDepth(), config.limits().maxStringLength());
  }

  /** Registers {@code /mcp} without authentication. */
  public void mount(Router router, BodyHandler body) {
    mount(router, body, null);
  }

  /**
   * Registers {@code /mcp}: the one place its handlers are chained. Order: Origin/Host check (403), then
   * {@code authentication} when given (the hardening issue's bearer check; its 401 must carry
   * {@code WWW-Authenticate}), then POST with the shared body limit (413), and 405 for every other method.
   */
  public void mount(Router router, BodyHandler body, Handler<RoutingContext> authentication) {
    router.route(PATH).handler(this::guard);
    if (authentication != null) {
      router.route(PATH).handler(authentication);
    }
    router.post(PATH).handler(body).handler(this::post);
    router.route(PATH).handler(McpEndpoint::methodNotAllowed);
  }

  /** DNS-rebinding protection: a present but unlisted Origin, or an unlisted Host, is 403. */
  private void guard(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (origin != null && !policy.allowsOrigin(origin)) {
      error(ctx, 403, null, new McpException(403, ErrorCodes.INVALID_REQUEST,
          "Forbidden: Origin '" + cut(origin) + "' is not allowed (mcp.allowed_origins)"));
      return;
    }
    if (!policy.allowsHost(request.authority())) {
      error(ctx, 403, null, new McpException(403, ErrorCodes.INVALID_REQUEST,
          "Forbidden: Host '" + cut(String.valueOf(request.authority())) + "' is not allowed (mcp.allowed_hosts)"));
      return;
    }
    ctx.next();
  }

  private static void methodNotAllowed(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
    error(ctx, 405, null, new McpException(405, ErrorCodes.INVALID_REQUEST, "Method Not Allowed: " + ctx.request().method()
        + " " + PATH + " is not supported; send each JSON-RPC message as a POST (no SSE stream, no sessions)"));
  }

  private void post(RoutingContext ctx) {
    Message message = null;
    try {
      message = read(ctx);
      Versions.Era era = negotiate(ctx.request(), message);
      if (message.notification()) {
        headers(ctx.response().setStatusCode(202)).end();
        return;
      }
      if (era.modern()) {
        checkModernRequest(ctx.request(), message);
      }
      dispatch(ctx, era, message);
    } catch (McpException e) {
      error(ctx, e.status(), message == null ? e.id() : message.id(), e);
    }
  }

  private void dispatch(RoutingContext ctx, Versions.Era era, Message message) {
    admission.acquire(Principal.of(ctx).name(), 1, ticket -> {
      if (ticket != null) {
        answer(ctx, era, message, ticket);
        return;
      }
      McpException shed = new McpException(503, ErrorCodes.OVERLOADED, admission.overloadedMessage());
      ShedPause.answer(ctx, admission.shedDelayMs(Principal.of(ctx).name()), () -> {
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        error(ctx, 503, message.id(), shed);
      });
    });
  }

  private void answer(RoutingContext ctx, Versions.Era era, Message message, Admission.Ticket ticket) {
    Future<JsonObject> result;
    try {
      result = protocol.handle(era, message.method(), message.params(), Principal.of(ctx));
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(done -> {
      ticket.release(done.succeeded() ? null : done.cause() instanceof McpException e ? e.code() : ErrorCodes.INTERNAL_ERROR);
      if (done.succeeded()) {
        json(ctx, 200, new JsonObject().put("jsonrpc", "2.0").put("id", message.id()).put("result", done.result()));
      } else if (done.cause() instanceof McpException e) {
        error(ctx, e.status(), message.id(), e);
      } else {
        LOG.error("Unexpected failure answering MCP {}", message.method(), done.cause());
        error(ctx, 200, message.id(), new McpException(200, ErrorCodes.INTERNAL_ERROR, "Internal error"));
      }
    });
  }

  /** Accept and Content-Type, then the body: one JSON-RPC request or notification, never a batch. */
  private Message read(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!acceptsJsonAndEventStream(request.getHeader(HttpHeaders.ACCEPT))) {
      throw new McpException(406, ErrorCodes.INVALID_REQUEST,
          "Not Acceptable: the Accept header must list application/json and text/event-stream");
    }
    if (!isJson(request.getHeader(HttpHeaders.CONTENT_TYPE))) {
      throw new McpException(415, ErrorCodes.INVALID_REQUEST, "Unsupported Media Type: send Content-Type: application/json");
    }
    Buffer body = ctx.body().buffer();
    Object value;
    try {
      value = json.parse(body == null ? Buffer.buffer() : body);
    } catch (RpcException e) {
      throw new McpException(400, e.code(), e.getMessage(), e.data());
    }
    if (value instanceof JsonArray) {
      throw new McpException(400, ErrorCodes.INVALID_REQUEST,
          "Invalid Request: JSON-RPC batches are not supported on /mcp; send one message per POST");
    }
    if (!(value instanceof JsonObject object)) {
      throw new McpException(400, ErrorCodes.INVALID_REQUEST, "Invalid Request: the body must be one JSON-RPC message object");
    }
    return message(object);
  }

  private static Message message(JsonObject object) {
    boolean hasId = object.containsKey("id");
    Object id = object.getValue("id");
    Object readableId = id instanceof String || id instanceof Number ? id : null;
    if (!"2.0".equals(object.getValue("jsonrpc"))) {
      throw invalidRequest(readableId, "jsonrpc must be \"2.0\"");
    }
    if (!object.containsKey("method")) {
      String reason = object.containsKey("result") || object.containsKey("error")
          ? "this server sends no requests, so it accepts no responses"
          : "method is required";
      throw invalidRequest(readableId, reason);
    }
    if (!(object.getValue("method") instanceof String method)) {
      throw invalidRequest(readableId, "method must be a string");
    }
    if (hasId && readableId == null) {
      throw invalidRequest(null, "id must be a string or a number (not null)");
    }
    Object params = object.getValue("params");
    if (params != null && !(params instanceof JsonObject)) {
      throw invalidRequest(readableId, "params must be an object");
    }
    return new Message(readableId, !hasId, method, params == null ? new JsonObject() : (JsonObject) params);
  }

  private static McpException invalidRequest(Object id, String reason) {
    return new McpException(400, ErrorCodes.INVALID_REQUEST, "Invalid Request: " + reason, null, id);
  }

  /** Chooses the era (see the class comment); throws 400 with -32022, -32020 or -32602. */
  private static Versions.Era negotiate(HttpServerRequest request, Message message) {
    String header = request.getHeader(PROTOCOL_VERSION);
    Object meta = meta(message.params()).getValue(META_VERSION);
    if (meta != null && !(meta instanceof String)) {
      throw new McpException(400, ErrorCodes.INVALID_PARAMS, "Invalid params: _meta." + META_VERSION + " must be a string");
    }
    String metaVersion = (String) meta;
    if (header != null && !Versions.SUPPORTED.contains(header)) {
      throw new McpException(400, McpException.UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version",
          new JsonObject().put("supported", new JsonArray(Versions.SUPPORTED)).put("requested", cut(header)));
    }
    if (metaVersion != null) {
      if (header == null) {
        throw headerMismatch("the " + PROTOCOL_VERSION + " header is required and must equal _meta." + META_VERSION);
      }
      if (!header.equals(metaVersion)) {
        throw headerMismatch(PROTOCOL_VERSION + " header value '" + header + "' does not match body value '" + cut(metaVersion) + "'");
      }
      return new Versions.Era(metaVersion);
    }
    if (Versions.MODERN.equals(header) && !message.notification()) {
      // The 2026-07-28 era carries its version in every request's _meta; the header alone does not open it.
      throw new McpException(400, ErrorCodes.INVALID_PARAMS, "Invalid params: params._meta." + META_VERSION
          + " is required in protocol version " + Versions.MODERN + " (and must equal the " + PROTOCOL_VERSION + " header)");
    }
    return new Versions.Era(header == null ? Versions.WITHOUT_HEADER : header);
  }

  /** The 2026-07-28 request rules: Mcp-Method, a known method (else 404), Mcp-Name, and the required _meta. */
  private static void checkModernRequest(HttpServerRequest request, Message message) {
    String method = requiredHeader(request, MCP_METHOD);
    if (!method.equals(message.method())) {
      throw headerMismatch(MCP_METHOD + " header value '" + cut(method) + "' does not match body value '" + cut(message.method()) + "'");
    }
    if (!McpProtocol.MODERN_METHODS.contains(message.method())) {
      throw new McpException(404, ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + cut(message.method()),
          new JsonObject().put("methods", new JsonArray(McpProtocol.MODERN_METHODS)));
    }
    if (McpProtocol.TOOLS_CALL.equals(message.method())) {
      String name = decode(requiredHeader(request, MCP_NAME));
      Object bodyName = message.params().getValue("name");
      if (!name.equals(bodyName)) {
        throw headerMismatch(MCP_NAME + " header value '" + cut(name) + "' does not match body value '"
            + cut(String.valueOf(bodyName)) + "'");
      }
    }
    if (!(meta(message.params()).getValue(META_CAPABILITIES) instanceof JsonObject)) {
      throw new McpException(400, ErrorCodes.INVALID_PARAMS,
          "Invalid params: params._meta." + META_CAPABILITIES + " is required (an object; {} declares no capabilities)");
    }
  }

  private static JsonObject meta(JsonObject params) {
    return params.getValue("_meta") instanceof JsonObject meta ? meta : new JsonObject();
  }

  private static String requiredHeader(HttpServerRequest request, String name) {
    String value = request.getHeader(name);
    if (value == null) {
      throw headerMismatch("the " + name + " header is required");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 || c > 0x7E) && c != '\t') {
        throw headerMismatch("the " + name + " header contains invalid characters");
      }
    }
    return value;
  }

  /** Mcp-Name may carry a Base64 sentinel ({@code =?base64?...?=}) for values that are not plain ASCII. */
  private static String decode(String value) {
    if (!value.startsWith(BASE64_PREFIX) || !value.endsWith(BASE64_SUFFIX)
        || value.length() < BASE64_PREFIX.length() + BASE64_SUFFIX.length()) {
      return value;
    }
    try {
      return new String(Base64.getDecoder().decode(
          value.substring(BASE64_PREFIX.length(), value.length() - BASE64_SUFFIX.length())), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw headerMismatch("the " + MCP_NAME + " header's Base64 value is malformed");
    }
  }

  private static McpException headerMismatch(String reason) {
    return new McpException(400, McpException.HEADER_MISMATCH, "Header mismatch: " + reason);
  }

  /** True when the Accept header admits both application/json and text/event-stream (q > 0). */
  static boolean acceptsJsonAndEventStream(String accept) {
    if (accept == null) {
      return false;
    }
    boolean json = false;
    boolean eventStream = false;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      if (quality(parts) <= 0) {
        continue;
      }
      json |= type.equals("*/*") || type.equals("application/*") || type.equals("application/json");
      eventStream |= type.equals("*/*") || type.equals("text/*") || type.equals("text/event-stream");
    }
    return json && eventStream;
  }

  private static double quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim().toLowerCase(Locale.ROOT);
      if (parameter.startsWith("q=")) {
        try {
          return Double.parseDouble(parameter.substring(2).trim());
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().equalsIgnoreCase("application/json");
  }

  /** A JSON-RPC error; {@code id} is omitted when it could not be read (MCP ids are never null). */
  private static void error(RoutingContext ctx, int status, Object id, McpException e) {
    JsonObject body = new JsonObject().put("jsonrpc", "2.0");
    if (id != null) {
      body.put("id", id);
    }
    json(ctx, status, body.put("error", e.error()));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    headers(ctx.response().setStatusCode(status)).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(body.encode());
  }

  private static HttpServerResponse headers(HttpServerResponse response) {
    return response.putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE).putHeader(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
  }

  private static String cut(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "…" : value;
  }
}
