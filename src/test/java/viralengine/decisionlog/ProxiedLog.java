package viralengine.decisionlog;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import viralengine.metrics.ServiceMetrics;
import viralengine.orchestrator.LastError;
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

  private ProxiedLog(TestService svc, PgProxy proxy, Pool pool, DecisionLog log) {
    this.svc = svc;
    this.proxy = proxy;
    this.pool = pool;
    this.log = log;
  }

  /**
   * Deploys the log (no batching delay, one flush at a time, a fresh spool), marks the schema ready and
   * waits until it writes to PostgreSQL rather than to the spool it starts on.
   */
  static ProxiedLog start(int maxBatch, int queueCapacity, long flushTimeoutMs) {
    TestService svc = TestService.start();
    PgProxy proxy = PgProxy.start(svc.vertx);
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(PgConnectOptions.fromUri(proxy.url()))
        .using(svc.vertx).build();
    DecisionLog log = new DecisionLog(new DecisionStore(pool), new DecisionLog.Settings(maxBatch, 0, queueCapacity,
        Path.of(TestService.newSpoolDir()), flushTimeoutMs, 1, 5_000), new LastError(),
        new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    await(svc.vertx.deployVerticle(log));
    log.schemaReady();
    long deadline = System.currentTimeMillis() + 20_000;
    while (log.spooling()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("the decision log still writes to its spool 20 s after the schema was ready");
      }
      await(svc.vertx.timer(10));
    }
    return new ProxiedLog(svc, proxy, pool, log);
  }

  @Override
  public void close() {
    proxy.restore();
    await(pool.close());
    proxy.close();
    svc.close();
  }
}
