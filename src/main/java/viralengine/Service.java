package viralengine;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.admin.AdminVerticle;
import viralengine.admission.Pressure;
import viralengine.config.AppConfig;
import viralengine.decisionlog.DecisionLog;
import viralengine.http.Breakers;
import viralengine.http.EdgeGuards;
import viralengine.http.HttpVerticle;
import viralengine.loops.CatalogWatcher;
import viralengine.metrics.ServiceMetrics;
import viralengine.orchestrator.LastError;
import viralengine.orchestrator.OrchestratorVerticle;
import viralengine.store.Database;
import viralengine.store.DecisionStore;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running service: the pool, the orchestrator and the HTTP verticles. {@link Main} and the tests
 * start it the same way, through {@link #start}.
 *
 * <p>When PostgreSQL is unreachable at start, the HTTP side still comes up (readiness says why it is
 * not ready), and migrations plus the orchestrator are retried with backoff until the database answers.
 */
public final class Service {
  private static final Logger LOG = LoggerFactory.getLogger(Service.class);
  private static final long FIRST_RETRY_MS = 500;
  private static final long MAX_RETRY_MS = 15_000;

  private final Vertx vertx;
  /** The decisions' clock: the system's in production, a controllable one in tests of calendar days and cooldowns. */
  private final Clock clock;
  private final AppConfig config;
  private final Pool pool;
  private final CircuitBreaker breaker;
  private final LastError lastError = new LastError();
  /** Raised by admission sheds; keeps overload from opening the circuit. */
  private final Pressure pressure = new Pressure(System::nanoTime);
  private final ServiceMetrics metrics;
  private final DecisionLog log;
  private final CatalogWatcher catalog;
  private final Promise<Void> orchestratorUp = Promise.promise();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private volatile String logDeployment;
  private volatile String orchestratorDeployment;
  private volatile String adminDeployment;
  private volatile String httpDeployment;

  private Service(Vertx vertx, AppConfig config, PrometheusMeterRegistry registry, Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
    this.config = config;
    this.metrics = new ServiceMetrics(registry);
    this.pool = Database.pool(vertx, config.database());
    this.breaker = Breakers.orchestrator(vertx, config, metrics, pressure);
    this.log = new DecisionLog(new DecisionStore(pool), new DecisionLog.Settings(
        config.decisionLog().maxBatch(), config.decisionLog().maxDelayMs(), config.decisionLog().queueCapacity(),
        Path.of(config.spool().dir()), config.spool().flushTimeoutMs(), config.database().poolSize(),
        config.drainTimeoutMs()), lastError, metrics);
    this.catalog = new CatalogWatcher(vertx, pool, config.database().connectOptions(), config.orchestrator().loopsRefreshMs());
  }

  /**
   * Opens the decision log (and replays a spool left by an earlier run), migrates, deploys the
   * orchestrator, then the HTTP verticles; completes once HTTP listens.
   */
  public static Future<Service> start(Vertx vertx, AppConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, Clock.systemUTC());
  }

  /** As {@link #start(Vertx, AppConfig, PrometheusMeterRegistry)}, with the clock decisions are made on. */
  public static Future<Service> start(Vertx vertx, AppConfig config, PrometheusMeterRegistry registry, Clock clock) {
    Service service = new Service(vertx, config, registry, clock);
    warnIfOpen(config);
    return vertx.deployVerticle(service.log)
        .onSuccess(id -> service.logDeployment = id)
        .compose(id -> service.startOrchestrator()
        .recover(err -> {
          service.retryLater(err, FIRST_RETRY_MS);
          return Future.succeededFuture();
        })
        .compose(v -> service.deployHttp()))
        .map(service);
  }

  /** Completes when the orchestrator has warmed up; it may come up after {@link #start} when the database was down. */
  public Future<Void> orchestratorReady() {
    return orchestratorUp.future();
  }

  /** This instance's loops and frequency rules, kept current by LISTEN/NOTIFY and the periodic reload. */
  public CatalogWatcher catalog() {
    return catalog;
  }

  /**
   * Graceful drain: stop taking requests and let those in flight finish, then let the orchestrator finish
   * its calls, then flush the decision log (to PostgreSQL, or to the spool), then close the pool. Safe to
   * call more than once.
   */
  public Future<Void> stop() {
    if (!stopping.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    LOG.info("Draining: no new requests; waiting up to {} ms for those in flight", config.drainTimeoutMs());
    return undeploy(httpDeployment)
        .eventually(() -> undeploy(orchestratorDeployment))
        .eventually(() -> undeploy(adminDeployment))
        .eventually(() -> undeploy(logDeployment))
        .eventually(catalog::close)
        .eventually(() -> {
          breaker.close();
          return pool.close();
        })
        .onComplete(done -> LOG.info("Drained; decisions not yet durable: {}, spool depth: {}", log.pendingWrites(), log.spoolDepth()));
  }

  private Future<Void> startOrchestrator() {
    return Database.migrate(vertx, config.database())
        .compose(migrations -> {
          LOG.info("Database {} migrated ({} new migrations)", config.database().describe(), migrations);
          log.schemaReady();
          return catalog.start();
        })
        .compose(loaded -> vertx.deployVerticle(new OrchestratorVerticle(config, pool, log, () -> Breakers.state(breaker),
            lastError, metrics, clock, catalog::current)))
        .onSuccess(id -> orchestratorDeployment = id)
        .compose(id -> adminDeployment != null ? Future.succeededFuture(adminDeployment) : vertx.deployVerticle(new AdminVerticle(pool)))
        .onSuccess(id -> {
          adminDeployment = id;
          orchestratorUp.tryComplete();
        })
        .mapEmpty();
  }

  private void retryLater(Throwable err, long delayMs) {
    String reason = "database " + config.database().describe() + " unreachable at startup: " + firstLine(err);
    LOG.error("{}; retrying in {} ms", reason, delayMs);
    lastError.record(reason);
    vertx.setTimer(delayMs, id -> {
      if (stopping.get()) {
        return;
      }
      startOrchestrator().onFailure(next -> retryLater(next, Math.min(delayMs * 2, MAX_RETRY_MS)));
    });
  }

  private Future<Void> deployHttp() {
    EdgeGuards guards = EdgeGuards.of(config, metrics.edge(), pressure);
    return vertx.deployVerticle(() -> new HttpVerticle(config, breaker, log, lastError, metrics, guards),
            new DeploymentOptions().setInstances(config.http().instances()))
        .onSuccess(id -> httpDeployment = id)
        .mapEmpty();
  }

  private Future<Void> undeploy(String deployment) {
    return deployment == null ? Future.succeededFuture() : vertx.undeploy(deployment);
  }

  private static void warnIfOpen(AppConfig config) {
    int tokens = config.security().tokenHashes().size();
    if (tokens == 0) {
      LOG.warn("AUTHENTICATION IS DISABLED: no API tokens are configured, so every JSON-RPC, MCP, dashboard and"
          + " metrics route is open to anyone who can reach port {}. Set ORCHESTRATOR_API_TOKENS (or"
          + " auth.token_sha256) before exposing this service.", config.http().port());
    } else {
      LOG.info("API authentication enabled with {} token(s)", tokens);
    }
  }

  private static String firstLine(Throwable err) {
    String message = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
