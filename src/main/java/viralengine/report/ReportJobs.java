package viralengine.report;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.config.AppConfig;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Off the hot path: folds the report inbox into the rollups every {@code report.refresh_ms}, and recomputes the
 * gauges {@code viral_k_factor{loop}} and {@code viral_holdout_lift{loop}} over the last
 * {@code report.gauge_window_days} days of whole hours, and {@code viral_srm_p_value{loop, check}} of the
 * sample-ratio checks, (up to the start of the current hour) every
 * {@code report.gauge_interval_ms}. A loop without figures in the window reads NaN (Prometheus comparisons with NaN
 * are false, so no alert fires on missing data).
 */
public final class ReportJobs {
  private static final Logger LOG = LoggerFactory.getLogger(ReportJobs.class);
  public static final String K_FACTOR = "viral.k.factor";
  public static final String HOLDOUT_LIFT = "viral.holdout.lift";
  public static final String K_THRESHOLD = "viral.k.factor.alert.threshold";
  public static final String SRM_P_VALUE = "viral.srm.p.value";

  private static final String SRM_DESCRIPTION = "p-value of the loop's sample-ratio check over the gauge window"
      + " (chi-square of learners per arm against the configured split; check holdout or variants)";

  private final Vertx vertx;
  private final ReportStore store;
  private final LoopReport report;
  private final MeterRegistry registry;
  private final AppConfig.Report settings;
  private final Clock clock;
  private final Map<String, Double> kFactors = new ConcurrentHashMap<>();
  private final Map<String, Double> lifts = new ConcurrentHashMap<>();
  private final Map<String, Double> holdoutSrm = new ConcurrentHashMap<>();
  private final Map<String, Double> variantSrm = new ConcurrentHashMap<>();
  private long refreshTimer = -1;
  private long gaugeTimer = -1;
  private boolean refreshing;
  private boolean measuring;

  public ReportJobs(Vertx vertx, ReportStore store, LoopReport report, MeterRegistry registry,
      AppConfig.Report settings, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.report = report;
    this.registry = registry;
    this.settings = settings;
    this.clock = clock;
  }

  public void start() {
    Gauge.builder(K_THRESHOLD, settings::kAlertThreshold)
        .description("The K-factor below which the ViralKFactorLow alert fires (report.k_alert_threshold)")
        .register(registry);
    refreshTimer = vertx.setPeriodic(settings.refreshMs(), id -> refresh());
    gaugeTimer = vertx.setPeriodic(1, settings.gaugeIntervalMs(), id -> measure());
  }

  public void stop() {
    vertx.cancelTimer(refreshTimer);
    vertx.cancelTimer(gaugeTimer);
  }

  /** One refresh unless one is still running (a slow database must not pile refreshes up). */
  void refresh() {
    if (refreshing) {
      return;
    }
    refreshing = true;
    store.refresh().onComplete(done -> refreshing = false)
        .onFailure(err -> LOG.warn("Report rollup refresh failed: {}", err.getMessage()));
  }

  /** Recomputes the gauges; the future completes when they are updated (tests wait on it). */
  public Future<Void> measure() {
    if (measuring) {
      return Future.succeededFuture();
    }
    measuring = true;
    // Whole hours only: they come from the rollups alone. Up to the current minute, the report would also scan the
    // current hour's raw decisions, which at a steady 2,000 a second is millions of rows by the hour's end.
    Instant end = clock.instant().truncatedTo(ChronoUnit.HOURS);
    return report.gauges(end.minus(Duration.ofDays(settings.gaugeWindowDays())), end)
        .onComplete(done -> measuring = false)
        .onSuccess(loops -> {
          for (Map<String, Double> values : List.of(kFactors, lifts, holdoutSrm, variantSrm)) {
            values.replaceAll((loop, value) -> Double.NaN);
          }
          for (LoopReport.LoopGauges loop : loops) {
            publish(kFactors, K_FACTOR, "K-factor of the loop over the gauge window: joins per exposed learner",
                loop.loop(), Tags.of("loop", loop.loop()), loop.kFactor());
            publish(lifts, HOLDOUT_LIFT, "Joins per learner of the loop's treatment minus its holdout's, over the gauge window",
                loop.loop(), Tags.of("loop", loop.loop()), loop.lift());
            publish(holdoutSrm, SRM_P_VALUE, SRM_DESCRIPTION, loop.loop(), Tags.of("loop", loop.loop(), "check", "holdout"),
                loop.holdoutSrmP());
            publish(variantSrm, SRM_P_VALUE, SRM_DESCRIPTION, loop.loop(), Tags.of("loop", loop.loop(), "check", "variants"),
                loop.variantSrmP());
          }
        })
        .onFailure(err -> LOG.warn("K-factor and lift gauges not updated: {}", err.getMessage()))
        .mapEmpty();
  }

  private void publish(Map<String, Double> values, String name, String description, String loop, Tags tags,
      Double value) {
    if (values.put(loop, value == null ? Double.NaN : value) == null) {
      Gauge.builder(name, () -> values.getOrDefault(loop, Double.NaN)).tags(tags).description(description)
          .register(registry);
    }
  }
}
