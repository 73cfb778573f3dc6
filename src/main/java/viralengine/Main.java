package viralengine;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import viralengine.config.ConfigException;
import viralengine.config.ConfigLoader;
import viralengine.metrics.StartupSafeMetrics;

import java.util.concurrent.TimeUnit;

/** Wiring only: metrics, config, the service, and the signal that drains it. */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  /** Beyond the drain timeout, how long closing the pool and Vert.x may take before we exit anyway. */
  private static final long CLOSE_GRACE_MS = 5_000;

  private Main() {}

  public static void main(String[] args) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = newVertx(registry);
    ConfigLoader.load(vertx)
        .compose(config -> {
          setLogLevel(config.logLevel());
          return Service.start(vertx, config, registry)
              .onSuccess(service -> drainOnSignal(vertx, service, config.drainTimeoutMs()));
        })
        .onFailure(err -> {
          System.err.println("viral-engine failed to start: " + (err.getMessage() == null ? err.toString() : err.getMessage()));
          vertx.close();
          System.exit(1);
        });
  }

  /** {@code log.level} wins over logback.xml's default, so one config source sets it. */
  static void setLogLevel(String level) {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.toLevel(level));
  }

  /** A Vert.x instance that reports HTTP, event-bus, pool and JVM metrics to {@code registry}. */
  public static Vertx newVertx(PrometheusMeterRegistry registry) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .addLabels(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_NAME);
    return Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(metrics))
        .withMetrics(new StartupSafeMetrics(registry))
        .build();
  }

  /** SIGTERM and SIGINT drain the service, then exit 0: an orchestrated stop is not a crash. */
  private static void drainOnSignal(Vertx vertx, Service service, long drainTimeoutMs) {
    sun.misc.SignalHandler drain = signal -> {
      LOG.info("SIG{} received", signal.getName());
      int status = 0;
      try {
        service.stop().toCompletionStage().toCompletableFuture().get(drainTimeoutMs + CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.error("Drain did not finish cleanly", e);
        status = 1;
      }
      try {
        // Closed from this thread, not chained on a Vert.x context that the close itself terminates.
        vertx.close().toCompletionStage().toCompletableFuture().get(CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("Vert.x did not close within {} ms", CLOSE_GRACE_MS);
      }
      System.exit(status);
    };
    Signal.handle(new Signal("TERM"), drain);
    Signal.handle(new Signal("INT"), drain);
  }
}
