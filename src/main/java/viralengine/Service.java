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
import viralengine.guardrails.GuardrailJob;
import viralengine.bandit.PosteriorRefresher;
import viralengine.admission.Pressure;
import viralengine.cluster.Affinity;
import viralengine.cluster.ClusterNode;
import viralengine.config.AppConfig;
import viralengine.config.Directories;
import viralengine.decisionlog.DecisionLog;
import viralengine.lifecycle.Erasure;
import viralengine.lifecycle.Retention;
import viralengine.http.Breakers;
import viralengine.incentives.IncentivesVerticle;
import viralengine.personalization.PersonalizationVerticle;
import viralengine.safety.SafetyVerticle;
import viralengine.http.EdgeGuards;
import viralengine.http.HttpVerticle;
import viralengine.http.Rehearsal;
import viralengine.http.Warmup;
import viralengine.loops.CatalogWatcher;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.LastError;
import viralengine.orchestrator.Fallbacks;
import viralengine.orchestrator.OrchestratorVerticle;
import viralengine.store.Database;
import viralengine.store.DecisionStore;
import viralengine.store.EmbeddedDatabase;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
  private final Pool logPool;
  private final CircuitBreaker breaker;
  private final LastError lastError = new LastError();
  /** Raised by admission sheds; keeps overload from opening the circuit. */
  private final Pressure pressure = new Pressure(System::nanoTime);
  /** The warm-up's pass through the HTTP edge: a secret of this process's own. */
  private final Rehearsal rehearsal = Rehearsal.create();
  private final ServiceMetrics metrics;
  private final DecisionLog log;
  private final Erasure erasure;
  private final CatalogWatcher catalog;
  /** The bandit's posteriors, refreshed every selection.refresh_ms when selection.strategy is thompson. */
  private final PosteriorRefresher posteriors;
  /** Pauses loops whose guardrails show harm (report.guardrail_*), once the orchestrator is up. */
  private final GuardrailJob guardrails;
  /** Creates the log tables' day partitions ahead and drops those past retention.days, once the orchestrator is up. */
  private final Retention retention;
  private final Promise<Void> orchestratorUp = Promise.promise();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private volatile String logDeployment;
  private volatile String orchestratorDeployment;
  private volatile OrchestratorVerticle orchestrator;
  private volatile String adminDeployment;
  private final List<String> peerDeployments = new CopyOnWriteArrayList<>();
  private volatile String httpDeployment;
  private final List<String> userDeployments = new CopyOnWriteArrayList<>();
  private final EmbeddedDatabase embedded;
  /** Cluster mode only (null on a single node): membership, the owner ring, and the affinity routing. */
  private final ClusterNode clusterNode;
  private final Affinity affinity;

  private Service(Vertx vertx, AppConfig config, PrometheusMeterRegistry registry, EmbeddedDatabase embedded, Clock clock) {
    this.vertx = vertx;
    this.clock = clock;
    this.config = config;
    this.embedded = embedded;
    this.metrics = new ServiceMetrics(registry);
    this.pool = Database.pool(vertx, config.database());
    this.breaker = Breakers.orchestrator(vertx, config, metrics, pressure);
    // The decision log's own connections, two per flush (its decisions and fallbacks go side by side): a burst of
    // reads never holds up a group commit, and since only the log's context uses them, they live on its event loop
    // and a flush's answer comes back without a hop between threads.
    int flushes = config.decisionLog().maxConcurrentFlushes();
    this.logPool = Database.pool(vertx, config.database(), 2 * flushes, "viral-engine-log");
    this.log = new DecisionLog(new DecisionStore(logPool), new DecisionLog.Settings(
        config.decisionLog().maxBatch(), config.decisionLog().maxDelayMs(), config.decisionLog().queueCapacity(),
        Path.of(config.spool().dir()), config.spool().flushTimeoutMs(), flushes,
        config.decisionLog().overlapAfterMs(), config.drainTimeoutMs()), lastError, metrics);
    metrics.spoolActive(log::spooling);
    this.erasure = new Erasure(vertx, pool, logPool, config.erasure().secret(), metrics.registry());
    // Rows of an erased learner that were still in the spool are erased as they reach PostgreSQL.
    log.onReplayed(erasure::replayed);
    this.catalog = new CatalogWatcher(vertx, pool, config.database().connectOptions(), config.orchestrator().loopsRefreshMs());
    this.guardrails = new GuardrailJob(vertx, pool, catalog::current, clock, registry, config.report());
    this.retention = new Retention(vertx, pool, config.retention().days(), clock, registry);
    this.clusterNode = config.cluster().enabled() ? ClusterNode.of(vertx) : null;
    this.affinity = clusterNode == null ? null : new Affinity(vertx, clusterNode);
    this.posteriors = new PosteriorRefresher(vertx, pool, catalog::current, config.selection().refreshMs(),
        config.selection().window(), config.selection().reward(), config.selection().rewardWindowHours(),
        "recovering".equals(config.selection().strategy()));
  }

  /**
   * The documented entry point, for {@link Main} and for code that runs the service with verticles of its
   * own. Starts the embedded PostgreSQL when {@code database.url} is unset, opens the decision log (and
   * replays a spool left by an earlier run), migrates, deploys the orchestrator, then the HTTP verticles,
   * then the verticles of {@code deploy.verticles}; completes once HTTP listens and those are deployed.
   * When PostgreSQL is unreachable at start, it completes without waiting for the orchestrator, and the
   * {@code deploy.verticles} follow once {@link #orchestratorReady()} completes.
   */
  public static Future<Service> start(Vertx vertx, AppConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, Clock.systemUTC());
  }

  /** As {@link #start(Vertx, AppConfig, PrometheusMeterRegistry)}, with the clock decisions are made on. */
  public static Future<Service> start(Vertx vertx, AppConfig config, PrometheusMeterRegistry registry, Clock clock) {
    Future<EmbeddedDatabase> embedded = config.database().embedded() && config.database().connectOptions() == null
        ? vertx.executeBlocking(() -> EmbeddedDatabase.start(
            Directories.prepare("database.embedded_dir", config.database().embeddedDir(), "DATABASE_EMBEDDED_DIR")), false)
        : Future.succeededFuture();
    return embedded.compose(db -> {
      AppConfig resolved = db == null ? config : config.withDatabase(config.database().at(db.connectOptions()));
      logDatabase(resolved, db);
      Service service;
      try {
        Directories.prepare("spool.dir", config.spool().dir(), "SPOOL_DIR");
        service = new Service(vertx, resolved, registry, db, clock);
      } catch (RuntimeException e) {
        closeQuietly(db);
        return Future.failedFuture(e);
      }
      return service.startAll().recover(err -> service.stop().transform(v -> Future.failedFuture(err)));
    });
  }

  private Future<Service> startAll() {
    warnIfOpen(config);
    Future<Void> following = clusterNode == null ? Future.succeededFuture() : clusterNode.start();
    return following.compose(v -> vertx.deployVerticle(log))
        .onSuccess(id -> logDeployment = id)
        .compose(id -> startOrchestrator()
        .recover(err -> {
          retryLater(err, FIRST_RETRY_MS);
          return Future.succeededFuture();
        })
        .compose(v -> deployHttp())
        .compose(v -> orchestrator == null ? Future.succeededFuture() : open()))
        .compose(v -> orchestratorUp.future().isComplete() ? deployUserVerticles() : deployUserVerticlesWhenReady())
        .map(this);
  }

  /** The configured user verticles, after the orchestrator is ready, so their first request finds it. */
  private Future<Void> deployUserVerticles() {
    Future<Void> chain = Future.succeededFuture();
    for (String name : config.deployVerticles()) {
      chain = chain.compose(v -> vertx.deployVerticle(name)
          .onSuccess(userDeployments::add)
          .onSuccess(id -> LOG.info("Deployed {} (deploy.verticles)", name))
          .recover(err -> Future.failedFuture(new IllegalStateException(
              "deploy.verticles: " + name + " did not deploy: " + firstLine(err), err)))
          .mapEmpty());
    }
    return chain;
  }

  private Future<Void> deployUserVerticlesWhenReady() {
    orchestratorUp.future().onSuccess(v -> deployUserVerticles().onFailure(err -> LOG.error("{}", err.getMessage())));
    return Future.succeededFuture();
  }

  /** Completes when the orchestrator has warmed up; it may come up after {@link #start} when the database was down. */
  public Future<Void> orchestratorReady() {
    return orchestratorUp.future();
  }

  /** Cluster mode: this node's membership and owner ring; null on a single node. */
  public ClusterNode cluster() {
    return clusterNode;
  }

  /** The bandit's posteriors (refreshed only under selection.strategy thompson); tests refresh them on demand. */
  public PosteriorRefresher posteriors() {
    return posteriors;
  }

  /** The retention job of the log tables' partitions; tests run a round on demand. */
  public Retention retention() {
    return retention;
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
    // First out of the owner ring, so peers stop forwarding here and decide this node's learners themselves.
    Future<Void> withdrawn = clusterNode == null ? Future.succeededFuture() : clusterNode.withdraw();
    return withdrawn.transform(w -> Future.join(userDeployments.stream().map(this::undeploy).toList()))
        .transform(v -> undeploy(httpDeployment))
        .eventually(() -> undeploy(orchestratorDeployment))
        .eventually(() -> undeploy(adminDeployment))
        .eventually(() -> Future.join(peerDeployments.stream().map(this::undeploy).toList()))
        .eventually(() -> undeploy(logDeployment))
        .eventually(() -> {
          guardrails.stop();
          retention.stop();
          posteriors.close();
          return catalog.close();
        })
        .eventually(() -> {
          if (clusterNode != null) {
            clusterNode.close();
          }
          return Future.succeededFuture();
        })
        .eventually(() -> {
          breaker.close();
          return logPool.close().eventually(pool::close);
        })
        .onComplete(done -> LOG.info("Drained; decisions not yet durable: {}, spool depth: {}", log.pendingWrites(), log.spoolDepth()))
        .eventually(() -> embedded == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
          embedded.close(); // after the drain and the last flush: PostgreSQL is the last thing to go
          LOG.info("Embedded PostgreSQL stopped");
          return null;
        }, false));
  }

  /** The one line that says which database is in use, and where (never the password). */
  private static void logDatabase(AppConfig config, EmbeddedDatabase db) {
    if (db == null) {
      LOG.info("Database: external PostgreSQL at {}", config.database().describe());
    } else {
      LOG.info("Database: embedded PostgreSQL at {} (user postgres, listening on 127.0.0.1 only), data in {}",
          config.database().describe(), db.dataDir());
    }
  }

  private static void closeQuietly(EmbeddedDatabase db) {
    if (db != null) {
      db.close();
    }
  }

  private Future<Void> startOrchestrator() {
    return Database.migrate(vertx, config.database())
        .compose(migrations -> {
          LOG.info("Database {} migrated ({} new migrations)", config.database().describe(), migrations);
          log.schemaReady();
          return catalog.start();
        })
        .compose(loaded -> List.of("thompson", "recovering").contains(config.selection().strategy())
            ? posteriors.start().mapEmpty()
            : Future.succeededFuture())
        .compose(loaded -> {
          OrchestratorVerticle deployed = new OrchestratorVerticle(config, pool, log, () -> Breakers.state(breaker),
              lastError, metrics, clock, catalog::current, posteriors::current, affinity,
              clusterNode == null ? null : clusterNode::health);
          return vertx.deployVerticle(deployed).onSuccess(id -> {
            orchestratorDeployment = id;
            orchestrator = deployed;
          });
        })
        .compose(id -> adminDeployment != null ? Future.succeededFuture(adminDeployment) : vertx.deployVerticle(new AdminVerticle(pool, erasure)))
        .onSuccess(id -> {
          adminDeployment = id;
          guardrails.start();
          retention.start();
        })
        .compose(id -> deployPeers())
        .mapEmpty();
  }

  /** The built-in peer agents (AGENTS.md), on by default: trust_safety, personalization and incentives. */
  private Future<Void> deployPeers() {
    if (!peerDeployments.isEmpty()) {
      return Future.succeededFuture();
    }
    if (!config.agents().builtin()) {
      LOG.info("Built-in agents not deployed (agents.builtin=false): decisions call only remote agents");
      return Future.succeededFuture();
    }
    List<io.vertx.core.Deployable> peers = List.of(
        new SafetyVerticle(pool, catalog::current, clock, config.trustSafety()),
        new PersonalizationVerticle(pool, catalog::current),
        new IncentivesVerticle(pool, catalog::current, clock));
    Future<Void> chain = Future.succeededFuture();
    for (io.vertx.core.Deployable peer : peers) {
      chain = chain.compose(v -> vertx.deployVerticle(peer).onSuccess(peerDeployments::add).mapEmpty());
    }
    return chain;
  }

  /**
   * Ready means warm: once both the orchestrator and HTTP are up, rehearse the decision path through HTTP, then let
   * the orchestrator answer health (what readiness asks), join the owner ring, and deploy what waits for it.
   */
  private Future<Void> open() {
    AppConfig.Orchestrator settings = config.orchestrator();
    return Warmup.run(vertx, rehearsal, config.http().reachableHost("127.0.0.1"), settings.warmupCalls(), settings.warmupMs())
        .compose(rehearsed -> orchestrator.open(rehearsed))
        .compose(v -> announce())
        .onSuccess(v -> orchestratorUp.tryComplete());
  }

  /** Cluster mode: this node owns learners once its orchestrator is warm, and health says it has joined. */
  private Future<Void> announce() {
    if (clusterNode == null) {
      return Future.succeededFuture();
    }
    return clusterNode.announce(new io.vertx.core.json.JsonObject()
        .put("host", config.cluster().host()).put("http_port", config.http().port()));
  }

  private void retryLater(Throwable err, long delayMs) {
    String reason = "database " + config.database().describe() + " unreachable at startup: " + firstLine(err);
    LOG.error("{}; retrying in {} ms", reason, delayMs);
    lastError.record(reason);
    vertx.setTimer(delayMs, id -> {
      if (stopping.get()) {
        return;
      }
      (orchestrator == null ? startOrchestrator() : Future.<Void>succeededFuture()).compose(v -> open())
          .onFailure(next -> retryLater(next, Math.min(delayMs * 2, MAX_RETRY_MS)));
    });
  }

  private Future<Void> deployHttp() {
    EdgeGuards guards = EdgeGuards.of(config, metrics.edge(), pressure, rehearsal);
    Fallbacks fallbacks = new Fallbacks(log, lastError, metrics, config.orchestrator().timeoutMs());
    return vertx.deployVerticle(() -> new HttpVerticle(config, breaker, fallbacks, lastError, metrics, guards),
            new DeploymentOptions().setInstances(config.http().instances()))
        .onSuccess(id -> httpDeployment = id)
        .recover(err -> Future.failedFuture(err instanceof java.net.BindException
            ? new IllegalStateException("http.port " + config.http().port() + " on " + config.http().host()
                + " is already in use: stop the process that holds it, or set PORT to a free port", err)
            : err))
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
