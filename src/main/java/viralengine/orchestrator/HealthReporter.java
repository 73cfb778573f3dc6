package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import viralengine.metrics.LastError;
import viralengine.decisionlog.DecisionLog;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;
import java.util.function.Supplier;

/**
 * Builds the health body of DESIGN.md: {@code status, uptime_seconds, started_at, version, ...}, plus
 * the spool. An orchestrator that answers is never {@code down}: while PostgreSQL is away its decisions
 * go to the spool, so it is {@code degraded}. {@code down} is the HTTP side's word for "no orchestrator".
 */
final class HealthReporter {
  static final long DB_PING_TIMEOUT_MS = 1_000;
  private static final Instant STARTED_AT = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
  private static final String VERSION = version();

  private final Pool pool;
  private final DecisionLog log;
  private final Supplier<Catalog> catalog;
  private final IntSupplier cacheSize;
  private final Supplier<String> breakerState;
  private final LastError lastError;
  private final String auth;
  private final String databaseMode;
  private final Supplier<JsonObject> cluster;

  /** {@code databaseMode}: {@code embedded} (the service runs its own PostgreSQL) or {@code external}. */
  HealthReporter(Pool pool, DecisionLog log, Supplier<Catalog> catalog, IntSupplier cacheSize,
      Supplier<String> breakerState, LastError lastError, boolean authEnabled, String databaseMode,
      Supplier<JsonObject> cluster) {
    this.databaseMode = databaseMode;
    this.cluster = cluster;
    this.pool = pool;
    this.log = log;
    this.catalog = catalog;
    this.cacheSize = cacheSize;
    this.breakerState = breakerState;
    this.lastError = lastError;
    this.auth = authEnabled ? "enabled" : "disabled";
  }

  Future<JsonObject> report() {
    return pingDatabase().map(database -> {
      // Each input is read once, so the status always agrees with the fields it is derived from.
      String breaker = breakerState.get();
      Catalog loops = catalog.get();
      boolean spooling = log.spooling();
      boolean healthy = "up".equals(database.getString("status")) && "closed".equals(breaker) && !spooling;
      String status = healthy ? "ok" : "degraded";
      JsonObject body = new JsonObject()
          .put("status", status)
          .put("uptime_seconds", (System.currentTimeMillis() - STARTED_AT.toEpochMilli()) / 1000)
          .put("started_at", STARTED_AT.toString())
          .put("version", VERSION)
          .put("active_loops", loops.loops().stream().filter(Loop::active).count())
          .put("config_version", loops.configVersion())
          .put("cache_size", cacheSize.getAsInt())
          .put("last_error", lastError.toJson())
          .put("circuit_breaker", breaker)
          .put("database", database.put("mode", databaseMode))
          .put("pending_writes", log.pendingWrites())
          .put("auth", auth)
          .put("spool", new JsonObject().put("active", spooling).put("depth", log.spoolDepth()));
      // Cluster mode only: a single node's body is unchanged.
      return cluster == null ? body : body.put("cluster", cluster.get());
    });
  }

  private Future<JsonObject> pingDatabase() {
    long start = System.nanoTime();
    return pool.query("SELECT 1").execute()
        .timeout(DB_PING_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(rows -> new JsonObject().put("status", "up").put("latency_ms", (System.nanoTime() - start) / 1_000_000.0))
        .otherwise(err -> new JsonObject().put("status", "down").put("latency_ms", null)
            .put("error", err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage()));
  }

  private static String version() {
    String version = HealthReporter.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
