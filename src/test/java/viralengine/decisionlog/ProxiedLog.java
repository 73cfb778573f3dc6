package viralengine.decisionlog;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import viralengine.metrics.ServiceMetrics;
import viralengine.metrics.LastError;
import viralengine.store.DecisionStore;
import viralengine.support.PgProxy;
import viralengine.support.TestService;

import java.nio.file.Path;

import static viralengine.support.TestService.await;

/**
 * A DecisionLog on its own, writing through a {@link PgProxy} with a one-connection pool, so a test can
 * make PostgreSQL hang under it; {@code svc} migrated the test database and reads the tables directly.
 */
final class ProxiedLog implements AutoCloseable {
  final TestService svc;
  final PgProxy proxy;
  final Pool pool;
  final DecisionLog log;
  final DecisionLog.Settings settings;
  final LastError lastError;

  private ProxiedLog(TestService svc, PgProxy proxy, Pool pool, DecisionLog log, DecisionLog.Settings settings,
      LastError lastError) {
    this.svc = svc;
    this.proxy = proxy;
    this.pool = pool;
    this.log = log;
    this.settings = settings;
    this.lastError = lastError;
  }

  static ProxiedLog start(int maxBatch, int queueCapacity, long flushTimeoutMs) {
    return start(maxBatch, queueCapacity, flushTimeoutMs, 5_000);
  }

  /**
   * Deploys the log (no batching delay, one flush at a time, a fresh spool), marks the schema ready and
   * waits until it writes to PostgreSQL rather than to the spool it starts on.
   */
  static ProxiedLog start(int maxBatch, int queueCapacity, long flushTimeoutMs, long drainTimeoutMs) {
    TestService svc = TestService.start();
    PgProxy proxy = PgProxy.start(svc.vertx);
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(PgConnectOptions.fromUri(proxy.url()))
        .using(svc.vertx).build();
    DecisionLog.Settings settings = new DecisionLog.Settings(maxBatch, 0, queueCapacity, Path.of(TestService.newSpoolDir()),
        flushTimeoutMs, 1, 0, drainTimeoutMs);
    LastError lastError = new LastError();
    DecisionLog log = deploy(svc, pool, settings, lastError);
    awaitDirect(svc, log);
    return new ProxiedLog(svc, proxy, pool, log, settings, lastError);
  }

  /** A log on {@code pool} and the spool in {@code settings}, deployed with the schema ready. */
  static DecisionLog deploy(TestService svc, Pool pool, DecisionLog.Settings settings, LastError lastError) {
    DecisionLog log = new DecisionLog(new DecisionStore(pool), settings, lastError,
        new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    await(svc.vertx.deployVerticle(log));
    log.schemaReady();
    return log;
  }

  /** Waits until the log has emptied its spool and writes to PostgreSQL directly. */
  static void awaitDirect(TestService svc, DecisionLog log) {
    long deadline = System.currentTimeMillis() + 20_000;
    while (log.spooling() || log.spoolDepth() > 0) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("the decision log still writes to its spool, or holds " + log.spoolDepth()
            + " rows there, 20 s after the schema was ready");
      }
      await(svc.vertx.timer(10));
    }
  }

  @Override
  public void close() {
    proxy.restore();
    await(pool.close());
    proxy.close();
    svc.close();
  }
}
