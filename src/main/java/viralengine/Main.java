package viralengine;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import viralengine.cluster.ClusteredVertx;
import viralengine.config.AppConfig;
import viralengine.config.Cluster;
import viralengine.config.ConfigException;
import viralengine.config.ConfigLoader;
import viralengine.logs.LogFormat;
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
          LogFormat.apply(config.logFormat());
          return running(vertx, config, registry).compose(running -> Service.start(running, config, registry)
              .onSuccess(service -> drainOnSignal(running, service, config.drainTimeoutMs()))
              .onSuccess(service -> announceReady(service, config))
              .onFailure(err -> running.close()));
        })
        .onFailure(err -> {
          System.err.println("viral-engine failed to start: " + (err.getMessage() == null ? err.toString() : err.getMessage()));
          vertx.close();
          System.exit(1);
        });
  }

  private static void announceReady(Service service, AppConfig config) {
    if (!service.orchestratorReady().isComplete()) {
      LOG.info("HTTP answers on port {}, but PostgreSQL does not yet; /health/ready says 503 until it does",
          config.http().port());
    }
    service.orchestratorReady().onSuccess(v -> LOG.info(readyLine(config)));
  }

  /**
   * The last line of a start, for the person who ran it: where the service answers, on which database, and what to
   * try first. Logged once the orchestrator has warmed up, which may be long after HTTP listens when PostgreSQL
   * was down at start.
   */
  static String readyLine(AppConfig config) {
    String host = config.http().host();
    int port = config.http().port();
    String reachable = config.http().reachableHost("localhost");
    String database = config.database().embedded()
        ? "embedded PostgreSQL in " + config.database().embeddedDir()
        : "PostgreSQL at " + config.database().describe();
    return "Ready on http://" + host + ":" + port + " (" + database + "); try: curl " + reachable + ":" + port
        + "/health/ready";
  }

  /** {@code log.level} wins over logback.xml's default, so one config source sets it. */
  static void setLogLevel(String level) {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.toLevel(level));
  }

  /** A Vert.x instance that reports HTTP, event-bus, pool and JVM metrics to {@code registry}. */
  public static Vertx newVertx(PrometheusMeterRegistry registry) {
    return Vertx.builder()
        .with(options())
        .withMetrics(new StartupSafeMetrics(registry))
        .build();
  }

  /**
   * As {@link #newVertx}, clustered (cluster mode): completes once this node has joined the cluster of
   * {@code cluster.members} (or {@code cluster.dns_name}), or formed it.
   */
  public static Future<Vertx> newClusteredVertx(PrometheusMeterRegistry registry, Cluster cluster) {
    return ClusteredVertx.start(cluster, options(), new StartupSafeMetrics(registry));
  }

  /**
   * The Vert.x the service runs on: the one that loaded the config on a single node; in cluster mode a clustered
   * one, after the first is closed (its metrics re-register on the same registry).
   */
  private static Future<Vertx> running(Vertx loader, AppConfig config, PrometheusMeterRegistry registry) {
    if (!config.cluster().enabled()) {
      return Future.succeededFuture(loader);
    }
    return loader.close().compose(closed -> newClusteredVertx(registry, config.cluster()));
  }

  private static VertxOptions options() {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .addLabels(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_NAME);
    return new VertxOptions().setMetricsOptions(metrics);
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
