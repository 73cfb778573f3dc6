package viralengine.support;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import viralengine.Main;
import viralengine.Service;
import viralengine.config.AppConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The real service, started in this JVM the way {@link Main} starts it, on a free port and this run's
 * own database; plus an HTTP client and a SQL pool for assertions.
 */
public final class TestService implements AutoCloseable {
  public static final Duration WAIT = Duration.ofSeconds(20);

  public final Vertx vertx;
  public final Service service;
  public final AppConfig config;
  public final int port;
  public final WebClient http;
  public final Pool sql;

  private TestService(Vertx vertx, Service service, AppConfig config, WebClient http, Pool sql) {
    this.vertx = vertx;
    this.service = service;
    this.config = config;
    this.port = config.http().port();
    this.http = http;
    this.sql = sql;
  }

  /** Starts with the test defaults, overridden by {@code overrides} (nested like conf/config.json). */
  public static TestService start(JsonObject overrides) {
    return start(overrides, java.time.Clock.systemUTC());
  }

  /** As {@link #start(JsonObject)}, deciding on {@code clock} (a {@link MutableClock} for calendar tests). */
  public static TestService start(JsonObject overrides, java.time.Clock clock) {
    JsonObject merged = baseConfig().mergeIn(overrides, true);
    AppConfig config = AppConfig.from(merged);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Main.newVertx(registry);
    Service service = await(Service.start(vertx, config, registry, clock));
    await(service.orchestratorReady());
    PgConnectOptions db = PgConnectOptions.fromUri(TestDatabase.get().url());
    Pool sql = PgBuilder.pool().connectingTo(db).using(vertx).build();
    return new TestService(vertx, service, config, WebClient.create(vertx), sql);
  }

  public static TestService start() {
    return start(new JsonObject());
  }

  /**
   * A cluster-mode node: the test defaults, then {@code overrides} (which set the {@code cluster} section), on a
   * clustered Vert.x built as Main builds it. Completes once the node has joined and its orchestrator is warm.
   */
  public static TestService startClustered(JsonObject overrides) {
    AppConfig config = AppConfig.from(baseConfig().mergeIn(overrides, true));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = await(Main.newClusteredVertx(registry, config.cluster()));
    Service service = await(Service.start(vertx, config, registry));
    await(service.orchestratorReady());
    Pool sql = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(TestDatabase.get().url())).using(vertx).build();
    return new TestService(vertx, service, config, WebClient.create(vertx), sql);
  }

  /**
   * Overrides for tests about what is decided, not how fast: loop changes seen within 100 ms, and an SLA and
   * flush timeout loose enough for a busy test machine (a cold JVM's first decisions may take over 150 ms).
   */
  public static JsonObject relaxedTiming() {
    return new JsonObject()
        .put("orchestrator", new JsonObject().put("loops_refresh_ms", 100).put("timeout_ms", 2_000))
        .put("spool", new JsonObject().put("flush_timeout_ms", 1_000));
  }

  /**
   * The test defaults. The holdout is 0% here, not the production 5%: most tests expect a particular learner to be
   * shown a loop, and a 5% holdout would turn about one user id in twenty into a holdout. Tests about the holdout
   * set {@code experiments.holdout_percent} themselves.
   */
  public static JsonObject baseConfig() {
    return new JsonObject()
        .put("experiments", new JsonObject().put("holdout_percent", 0))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", freePort()).put("instances", 2))
        .put("database", new JsonObject().put("url", TestDatabase.get().url()).put("pool_size", 4))
        .put("shutdown", new JsonObject().put("drain_timeout_ms", 5_000))
        .put("spool", new JsonObject().put("dir", newSpoolDir()))
        // A short warm-up: every start still rehearses the decision path, without the production default's seconds.
        .put("orchestrator", new JsonObject().put("warmup_calls", 50))
        // Phase 1 and 2 tests decide without the built-in agents (their learners are of unknown age, whom
        // trust_safety's child_sharing rule blocks from sharing loops); Phase 3 tests turn them on ({@link #builtInAgents()}).
        .put("agents", new JsonObject().put("builtin", false))
        // Tests move their service's clock by years: the retention job must not drop the real day's rows under them.
        // lifecycle.RetentionTest turns it on.
        .put("retention", new JsonObject().put("days", 0));
  }

  /** Overrides that deploy the three built-in agents, as production does by default. */
  public static JsonObject builtInAgents() {
    return new JsonObject().put("agents", new JsonObject().put("builtin", true));
  }

  /** A fresh spool directory under target/, so services never share a spool. */
  public static String newSpoolDir() {
    try {
      java.nio.file.Path base = java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "spools"));
      return java.nio.file.Files.createTempDirectory(base, "spool-").toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** POSTs a JSON body to {@code path} and waits for the response. */
  public HttpResponse<Buffer> post(String path, Object body) {
    return await(http.post(port, "127.0.0.1", path).putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer(body.toString())));
  }

  public HttpResponse<Buffer> get(String path) {
    return await(http.get(port, "127.0.0.1", path).send());
  }

  /** A JSON-RPC call on {@code /mcp/orchestrator/{method}}; returns the response object. */
  public JsonObject rpc(String method, JsonObject params) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method).put("params", params);
    return post("/mcp/orchestrator/" + method, request).bodyAsJsonObject();
  }

  /** A JSON-RPC call on {@code /mcp/admin/{method}}; returns the response object. */
  public JsonObject admin(String method, JsonObject params) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method).put("params", params);
    return post("/mcp/admin/" + method, request).bodyAsJsonObject();
  }

  /** Waits (up to 10 s) until this service decides with configuration {@code version} or newer. */
  public void awaitConfigVersion(long version) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (get("/mcp/orchestrator/health").bodyAsJsonObject().getLong("config_version") < version) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the service never loaded configuration version " + version);
      }
      await(vertx.timer(10));
    }
  }

  public RowSet<Row> query(String sql, Object... args) {
    return await(this.sql.preparedQuery(sql).execute(Tuple.wrap(args)));
  }

  public long count(String sql, Object... args) {
    return query(sql, args).iterator().next().getLong(0);
  }

  /** Empties the audit tables and deactivates every loop, so each test starts from the seed state. */
  public void resetData() {
    // A write still in flight from the previous test can deadlock with the TRUNCATE (PostgreSQL then aborts
    // one of the two); the reset simply tries again.
    for (int attempt = 1; ; attempt++) {
      try {
        query("TRUNCATE viral_events, agent_decisions, loop_exposures, loop_outcomes, learners, learner_variants, report_inbox,"
            + " report_hourly, report_chain, report_learners, report_learners_daily");
        break;
      } catch (AssertionError deadlock) {
        if (attempt == 5 || !String.valueOf(deadlock.getMessage()).contains("40P01")) {
          throw deadlock;
        }
      }
    }
    query("UPDATE viral_loops SET active = false");
    // A hand edit sends no NOTIFY: reload now, so the next decision sees the loops inactive.
    await(service.catalog().reload());
    forgetLearners();
  }

  /** Until a backend of the test database waits on a lock (a write has reached a row or table a test holds). */
  public void awaitLockWait(String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        + " AND wait_event_type = 'Lock'") == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " never waited on the held lock");
      }
      await(vertx.timer(5));
    }
  }

  /** A hand edit of the learner tables is not heard by the orchestrator: it forgets what it kept of them. */
  public void forgetLearners() {
    await(vertx.eventBus().request(viralengine.api.OrchestratorApi.LEARNERS_RESET, null));
  }

  @Override
  public void close() {
    await(service.stop().eventually(sql::close));
    await(vertx.close());
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not complete: " + e, e);
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
