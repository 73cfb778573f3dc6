package viralengine.decisionlog;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.metrics.LastError;
import viralengine.metrics.ServiceMetrics;
import viralengine.store.DecisionRecord;
import viralengine.store.DecisionStore;
import viralengine.support.PgProxy;
import viralengine.support.TestService;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * The replay hook (issue 28: erasing the rows of learners forgotten while their rows were spooled): it hears the
 * learners of every replayed batch once their rows are in PostgreSQL, and a failure of it retries the batch like an
 * outage, never setting its entries aside as refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplayHookTest {
  @Test
  void theHookHearsEachReplayedLearnerAndItsFailuresRetryTheBatchInsteadOfRejectingIt() throws Exception {
    try (TestService svc = TestService.start(); PgProxy proxy = PgProxy.start(svc.vertx)) {
      Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(PgConnectOptions.fromUri(proxy.url()))
          .using(svc.vertx).build();
      Path spoolDir = Path.of(TestService.newSpoolDir());
      DecisionLog.Settings settings = new DecisionLog.Settings(64, 0, 1_000, spoolDir, 20_000, 1, 0, 5_000);
      DecisionLog log = new DecisionLog(new DecisionStore(pool), settings, new LastError(),
          new ServiceMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
      Set<String> heard = ConcurrentHashMap.newKeySet();
      AtomicInteger calls = new AtomicInteger();
      log.onReplayed(learners -> {
        if (calls.incrementAndGet() <= 2) {
          // A refusal, not an outage: alone, the replay would set the batch's entries aside as bad data.
          return Future.failedFuture(new PgException("duplicate key value", "ERROR", "23505", null));
        }
        heard.addAll(learners);
        return Future.succeededFuture();
      });
      await(svc.vertx.deployVerticle(log));
      proxy.cut();
      log.schemaReady();
      List<DecisionRecord> spooled = List.of(SpoolDamageTest.decision("hook", 1, "practice_completed"),
          SpoolDamageTest.decision("hook", 2, "practice_completed"));
      for (DecisionRecord d : spooled) {
        assertTrue(await(log.record(new DecisionRecord(d.decisionId(), null, d.method(), d.userId(), d.inputParams(),
            d.outputResult(), d.rationale(), d.featuresUsed(), d.loopId(), d.latencyMs(), d.event()))));
      }
      assertEquals(2, log.spoolDepth(), "both wait in the spool");

      proxy.restore();
      ProxiedLog.awaitDirect(svc, log);
      assertTrue(calls.get() >= 3, "the batch was retried after the hook failed: " + calls.get());
      assertEquals(Set.of(spooled.get(0).userId(), spooled.get(1).userId()), heard);
      for (DecisionRecord d : spooled) {
        assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", d.decisionId()));
      }
      assertEquals(List.of(), SpoolDamageTest.sqliteRows(spoolDir, "SELECT seq FROM rejected"), "nothing set aside");
      await(svc.vertx.undeploy(log.deploymentID()));
      await(pool.close());
    }
  }
}
