package viralengine.support;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON-RPC calls to a {@link ServiceProcess} over {@link ServiceProcess#HTTP} (optionally with a bearer token), timed;
 * the breaker's state from the health body and its openings from /metrics; and closed-loop callers that keep sending
 * until told to stop, keeping every call's fate.
 */
public final class Calls {
  private Calls() {}

  /** One call: when it started (System.nanoTime), how long it took, and the answer (or the transport error). */
  public record Call(String method, JsonObject params, long startedNanos, long latencyMs, int status, JsonObject body,
      Throwable error) {
    public JsonObject result() {
      return status == 200 && body != null ? body.getJsonObject("result") : null;
    }

    /** The JSON-RPC error code, or null when there is none. */
    public Integer errorCode() {
      return body != null && body.getJsonObject("error") != null ? body.getJsonObject("error").getInteger("code") : null;
    }

    public boolean degraded() {
      return result() != null && result().getBoolean("degraded", false);
    }

    /** A real decision: a result that is not the default decision. */
    public boolean decided() {
      return result() != null && !degraded();
    }

    public String summary() {
      return error != null ? "transport error " + error : "HTTP " + status + " " + (body == null ? "" : body.encode());
    }
  }

  /** Sends {@code method} to /mcp/orchestrator/{method}; never fails: the {@link Call} says what happened. */
  public static CompletableFuture<Call> send(ServiceProcess node, String method, JsonObject params, String token) {
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method).put("params", params);
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + "/mcp/orchestrator/" + method))
        .header("content-type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    long started = System.nanoTime();
    return ServiceProcess.HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          long latency = (System.nanoTime() - started) / 1_000_000;
          if (response == null) {
            return new Call(method, params, started, latency, -1, null, error);
          }
          JsonObject parsed;
          try {
            parsed = response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body());
          } catch (RuntimeException notJson) {
            parsed = new JsonObject().put("raw", response.body());
          }
          return new Call(method, params, started, latency, response.statusCode(), parsed, null);
        });
  }

  public static Call call(ServiceProcess node, String method, JsonObject params, String token) throws Exception {
    return send(node, method, params, token).get(60, TimeUnit.SECONDS);
  }

  public static Call call(ServiceProcess node, String method, JsonObject params) throws Exception {
    return call(node, method, params, null);
  }

  /**
   * Opens (at least) {@code n} keep-alive connections of {@link ServiceProcess#HTTP} to {@code node}, with {@code n}
   * concurrent GET /health/live, so that {@code n} callers starting at once send their first calls at once rather
   * than one connection set-up after another.
   */
  public static void openConnections(ServiceProcess node, int n) throws Exception {
    List<CompletableFuture<HttpResponse<Void>>> probes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      probes.add(ServiceProcess.HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + "/health/live"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()));
    }
    CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
  }

  /** GET {@code path}, with the token when there is one; the body as text. */
  public static String get(ServiceProcess node, String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + path))
        .timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return ServiceProcess.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The health body's {@code circuit_breaker}: closed, open or half_open. */
  public static String breakerState(ServiceProcess node, String token) throws Exception {
    return new JsonObject(get(node, "/mcp/orchestrator/health", token)).getString("circuit_breaker");
  }

  public static String breakerState(ServiceProcess node) throws Exception {
    return breakerState(node, null);
  }

  private static final Pattern OPENINGS =
      Pattern.compile("(?m)^viral_circuit_breaker_transitions_total\\{[^}]*to=\"open\"[^}]*\\}\\s+([0-9.eE+-]+)");

  /** A series without labels from /metrics, by its exact name. */
  public static double gauge(ServiceProcess node, String token, String series) throws Exception {
    for (String line : get(node, "/metrics", token).split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + series + " in /metrics");
  }

  /** {@code viral_circuit_breaker_transitions_total{to="open"}} from /metrics: how often the breaker has opened. */
  public static long breakerOpenings(ServiceProcess node, String token) throws Exception {
    String metrics = get(node, "/metrics", token);
    Matcher m = OPENINGS.matcher(metrics);
    if (!m.find()) {
      throw new AssertionError("no viral_circuit_breaker_transitions_total{to=\"open\"} in /metrics:\n"
          + metrics.lines().filter(l -> l.contains("circuit")).toList());
    }
    return (long) Double.parseDouble(m.group(1));
  }

  public static long breakerOpenings(ServiceProcess node) throws Exception {
    return breakerOpenings(node, null);
  }

  /**
   * {@code callers} closed-loop callers: each sends a call, waits for its answer, and sends the next, until
   * {@link #stop()}. The n-th call (over all callers) is {@code request.apply(n)} sent to {@code node.apply(n)}.
   */
  public static final class Load {
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong next = new AtomicLong();
    private final List<CompletableFuture<Void>> callers = new ArrayList<>();

    public record Request(ServiceProcess node, String method, JsonObject params) {}

    private static final java.util.concurrent.ScheduledExecutorService PACER =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "calls-pacer");
          t.setDaemon(true);
          return t;
        });
    private final LongFunction<Request> request;
    private final String token;
    private final long intervalMs;

    private Load(LongFunction<Request> request, String token, long intervalMs) {
      this.request = request;
      this.token = token;
      this.intervalMs = intervalMs;
    }

    /** Closed-loop callers with no pause between calls. */
    public static Load start(int callers, String token, LongFunction<Request> request) {
      return start(callers, token, 0, request);
    }

    /** Each caller starts a call at most every {@code intervalMs} ms (and never before the last one is answered). */
    public static Load start(int callers, String token, long intervalMs, LongFunction<Request> request) {
      Load load = new Load(request, token, intervalMs);
      for (int i = 0; i < callers; i++) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        load.callers.add(done);
        load.loop(done);
      }
      return load;
    }

    private void loop(CompletableFuture<Void> done) {
      if (stopped.get()) {
        done.complete(null);
        return;
      }
      Request r = request.apply(next.getAndIncrement());
      long started = System.nanoTime();
      send(r.node(), r.method(), r.params(), token).whenComplete((c, e) -> {
        if (c != null) {
          calls.add(c);
        }
        long waitMs = intervalMs - (System.nanoTime() - started) / 1_000_000;
        if (waitMs > 0) {
          PACER.schedule(() -> loop(done), waitMs, TimeUnit.MILLISECONDS);
        } else {
          loop(done);
        }
      });
    }

    /** Stops sending and waits (up to 60 s) for the calls in flight; returns every call made. */
    public List<Call> stop() throws Exception {
      stopped.set(true);
      CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      return snapshot();
    }

    /** The calls answered so far. */
    public List<Call> snapshot() {
      synchronized (calls) {
        return new ArrayList<>(calls);
      }
    }
  }

  /** The {@code p}-th percentile (0..100) of {@code values}, nearest rank. */
  public static long percentile(List<Long> values, double p) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    if (sorted.isEmpty()) {
      return 0;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }
}
