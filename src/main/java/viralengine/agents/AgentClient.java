package viralengine.agents;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;

/**
 * Calls one peer agent (personalization, incentives, ...) that speaks JSON-RPC 2.0 over HTTP:
 * {@code POST {baseUrl}/mcp/{agent}/{method}}. Every call goes through this client's own circuit
 * breaker, and every failure is an {@link RpcException}:
 *
 * <ul>
 *   <li>no answer within {@code timeoutMs}: -32001;
 *   <li>circuit open (the peer was not called): -32002;
 *   <li>the peer answered with a JSON-RPC error: the peer's code and message, prefixed with the agent;
 *   <li>unreachable peer, non-2xx status, a body that is not a JSON-RPC 2.0 response to this request,
 *       a result that is not an object, or a body over {@code maxResponseBytes}: -32000.
 * </ul>
 *
 * <p>Peer errors caused by our own input ({@link ErrorCodes#isCallerError}) do not count against the
 * breaker: the peer is healthy, it just rejected the request.
 */
public final class AgentClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AgentClient.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final int SNIPPET_CHARS = 100;
  private static final int MAX_PEER_MESSAGE_CHARS = 200;

  private final String agent;
  private final String endpoint;
  private final AgentClientOptions options;
  private final WebClient client;
  private final CircuitBreaker breaker;
  private final AtomicLong ids = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();

  private AgentClient(Vertx vertx, String baseUrl, String agent, AgentClientOptions options) {
    this.agent = agent;
    this.endpoint = baseUrl + "/mcp/" + agent + "/";
    this.options = options;
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setConnectTimeout((int) Math.min(options.timeoutMs(), Integer.MAX_VALUE))
        .setMaxHeaderSize(8 * 1024)
        .setMaxInitialLineLength(4 * 1024)
        .setFollowRedirects(false)
        .setKeepAlive(true)
        .setUserAgent("viral-engine-orchestrator"));
    this.breaker = CircuitBreaker.create("agent-" + agent, vertx, new CircuitBreakerOptions()
            .setTimeout(options.timeoutMs())
            .setMaxFailures(options.maxFailures())
            .setFailuresRollingWindow(options.failureWindowMs())
            .setResetTimeout(options.resetTimeoutMs())
            .setNotificationAddress(null))
        .failurePolicy(AgentClient::countsAsFailure);
  }

  /**
   * A client for {@code agent} at {@code baseUrl} (for example {@code http://127.0.0.1:4010}).
   *
   * @throws IllegalArgumentException if the URL is not an absolute http(s) URL or the agent name is
   *     not 1–64 letters, digits, '_', '.' or '-'
   */
  public static AgentClient create(Vertx vertx, String baseUrl, String agent, AgentClientOptions options) {
    if (vertx == null || options == null) {
      throw new IllegalArgumentException("vertx and options are required");
    }
    if (agent == null || !NAME.matcher(agent).matches()) {
      throw new IllegalArgumentException("agent name must be 1-64 of [A-Za-z0-9_.-], got: " + agent);
    }
    return new AgentClient(vertx, normalizeBaseUrl(baseUrl), agent, options);
  }

  /** The peer agent this client calls. */
  public String agent() {
    return agent;
  }

  /** The breaker's state, for health reporting. */
  public CircuitBreakerState state() {
    return breaker.state();
  }

  /**
   * Calls {@code method} with {@code params} (null means {}) and returns the peer's {@code result}
   * object. Fails with an {@link RpcException} as described on the class.
   */
  public Future<JsonObject> call(String method, JsonObject params) {
    if (closed.get()) {
      return Future.failedFuture(error("client is closed"));
    }
    if (method == null || !NAME.matcher(method).matches()) {
      return Future.failedFuture(new RpcException(ErrorCodes.INTERNAL_ERROR,
          "Agent " + agent + ": invalid method name"));
    }
    long id = ids.incrementAndGet();
    JsonObject request = new JsonObject()
        .put("jsonrpc", "2.0")
        .put("id", id)
        .put("method", method)
        .put("params", params == null ? new JsonObject() : params);
    return breaker.<JsonObject>execute(() -> send(method, id, request))
        .recover(failure -> Future.failedFuture(fromBreaker(failure)));
  }

  /**
   * One call with its own timeout, around this client's breaker: for a caller that keeps a breaker of its own and
   * judges the answer before it counts ({@link AgentLink}). Fails as {@link #call} does, never with -32002.
   */
  public Future<JsonObject> request(String method, JsonObject params, long timeoutMs) {
    if (closed.get()) {
      return Future.failedFuture(error("client is closed"));
    }
    if (method == null || !NAME.matcher(method).matches()) {
      return Future.failedFuture(new RpcException(ErrorCodes.INTERNAL_ERROR, "Agent " + agent + ": invalid method name"));
    }
    long id = ids.incrementAndGet();
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", method)
        .put("params", params == null ? new JsonObject() : params);
    return send(method, id, request, timeoutMs);
  }

  /** Closes the HTTP client and the breaker. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      breaker.close();
      client.close();
    }
  }

  private Future<JsonObject> send(String method, long id, JsonObject request) {
    return send(method, id, request, options.timeoutMs());
  }

  private Future<JsonObject> send(String method, long id, JsonObject request, long timeoutMs) {
    var post = client.postAbs(endpoint + method)
        .timeout(timeoutMs)
        .putHeader("Accept", "application/json");
    if (options.bearerToken() != null) {
      post.putHeader("Authorization", "Bearer " + options.bearerToken());
    }
    return post
        .as(new BoundedBodyCodec(options.maxResponseBytes(),
            error("response is larger than " + options.maxResponseBytes() + " bytes")))
        .sendJsonObject(request)
        .recover(failure -> Future.failedFuture(fromTransport(failure)))
        .map(response -> readResult(response, id));
  }

  /** Only failures that say the peer is unhealthy count; its rejections of our input do not. */
  private static boolean countsAsFailure(Future<JsonObject> outcome) {
    return outcome.failed()
        && !(outcome.cause() instanceof RpcException e && ErrorCodes.isCallerError(e.code()));
  }

  private RpcException fromBreaker(Throwable failure) {
    if (failure instanceof RpcException e) {
      return e;
    }
    if (failure instanceof io.vertx.circuitbreaker.TimeoutException) {
      return timeout();
    }
    if (failure instanceof OpenCircuitException) {
      return new RpcException(ErrorCodes.CIRCUIT_OPEN, "Agent " + agent + ": circuit open, not called");
    }
    return fromTransport(failure);
  }

  private RpcException fromTransport(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof RpcException e) {
        return e;
      }
      if (t instanceof TimeoutException) {
        return timeout();
      }
      if (t instanceof ConnectException) {
        return error("unreachable (connection failed)");
      }
    }
    LOG.debug("Agent {} transport failure", agent, failure);
    return error("transport failure (" + failure.getClass().getSimpleName() + ")");
  }

  private JsonObject readResult(HttpResponse<Buffer> response, long id) {
    Buffer body = response.body();
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      throw error("HTTP " + status + snippet(body));
    }
    if (body == null || body.length() == 0) {
      throw error("empty response body");
    }
    Object decoded;
    try {
      decoded = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw error("response is not JSON" + snippet(body));
    }
    if (!(decoded instanceof JsonObject reply)) {
      throw error("response is not a JSON object");
    }
    if (!"2.0".equals(reply.getValue("jsonrpc"))) {
      throw error("response is not JSON-RPC 2.0 (jsonrpc must be \"2.0\")");
    }
    Object replyId = reply.getValue("id");
    boolean hasError = reply.containsKey("error");
    boolean hasResult = reply.containsKey("result");
    if (hasError && hasResult) {
      throw error("response has both result and error");
    }
    // JSON-RPC 2.0: a peer that could not read our id answers an error with id null.
    if (!isId(replyId, id) && !(hasError && replyId == null)) {
      throw error("response id does not match the request id " + id);
    }
    if (hasError) {
      throw peerError(reply.getValue("error"));
    }
    if (!hasResult) {
      throw error("response has no result");
    }
    if (!(reply.getValue("result") instanceof JsonObject result)) {
      throw error("result is not a JSON object");
    }
    return result;
  }

  private RpcException peerError(Object value) {
    if (!(value instanceof JsonObject error)
        || !(error.getValue("code") instanceof Integer code)
        || !(error.getValue("message") instanceof String message)) {
      return error("response has a malformed error object");
    }
    JsonObject data = error.getValue("data") instanceof JsonObject d ? d : null;
    return new RpcException(code, "Agent " + agent + ": " + truncate(message, MAX_PEER_MESSAGE_CHARS), data);
  }

  private static boolean isId(Object value, long expected) {
    return (value instanceof Integer || value instanceof Long) && ((Number) value).longValue() == expected;
  }

  private RpcException timeout() {
    return new RpcException(ErrorCodes.TIMEOUT, "Agent " + agent + ": no answer in time");
  }

  private RpcException error(String problem) {
    return new RpcException(ErrorCodes.ORCHESTRATOR_ERROR, "Agent " + agent + ": " + problem);
  }

  /** At most {@value #SNIPPET_CHARS} printable characters of a body, for error messages. */
  private static String snippet(Buffer body) {
    if (body == null || body.length() == 0) {
      return "";
    }
    int bytes = Math.min(body.length(), SNIPPET_CHARS * 4);
    String text = body.getString(0, bytes, "UTF-8");
    return ": " + truncate(text, SNIPPET_CHARS);
  }

  private static String truncate(String text, int max) {
    String printable = text.replaceAll("\\p{Cntrl}+", " ").strip();
    return printable.length() <= max ? printable : printable.substring(0, max) + "...";
  }

  private static String normalizeBaseUrl(String baseUrl) {
    if (baseUrl == null) {
      throw new IllegalArgumentException("agent base URL is required");
    }
    String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    try {
      URI uri = new URI(trimmed);
      String scheme = uri.getScheme();
      if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null
          || uri.getQuery() != null || uri.getFragment() != null) {
        throw new IllegalArgumentException("agent base URL must be an absolute http(s) URL: " + baseUrl);
      }
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("agent base URL is not a valid URL: " + baseUrl, e);
    }
    return trimmed;
  }
}
