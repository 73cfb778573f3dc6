package viralengine.guardrails;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.admin.AdminStore;
import viralengine.config.AppConfig;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;
import viralengine.report.Intervals;
import viralengine.report.Sequential;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Pauses a loop whose guardrail shows harm: every {@code report.guardrail_interval_ms}, for each active loop with
 * guardrails, the share of its treated learners who dismissed it (or opted out since) is compared with its held-out
 * learners' share over the last {@code report.guardrail_window_hours} of this clock (and since the loop's last
 * change). When the always-valid 95% interval of the difference lies wholly above {@code max_increase}, the loop is
 * deactivated through the admin store as actor {@code guardrail}, with the evidence in the audit row, and
 * {@code viral_guardrail_pauses_total{loop, metric}} counts it. The always-valid interval is what makes checking
 * every minute safe (report/Sequential). Every instance runs the job; the deactivation is conditional on the loop's
 * version, so a loop is paused once.
 */
public final class GuardrailJob {
  private static final Logger LOG = LoggerFactory.getLogger(GuardrailJob.class);
  public static final String ACTOR = "guardrail";
  public static final String PAUSES = "viral.guardrail.pauses";
  public static final String CHECKS = "viral.guardrail.checks";

  private final Vertx vertx;
  private final GuardrailStore store;
  private final AdminStore admin;
  private final Supplier<Catalog> catalog;
  private final Clock clock;
  private final MeterRegistry registry;
  private final AppConfig.Report settings;
  private final Counter checks;
  private long timer = -1;
  private boolean running;

  public GuardrailJob(Vertx vertx, Pool pool, Supplier<Catalog> catalog, Clock clock, MeterRegistry registry,
      AppConfig.Report settings) {
    this.vertx = vertx;
    this.store = new GuardrailStore(pool);
    this.admin = new AdminStore(pool);
    this.catalog = catalog;
    this.clock = clock;
    this.registry = registry;
    this.settings = settings;
    this.checks = Counter.builder(CHECKS).description("Rounds of the guardrail job (every report.guardrail_interval_ms)")
        .register(registry);
  }

  /** Starts the periodic check; a second call (a start retried after a database outage) changes nothing. */
  public void start() {
    if (timer < 0) {
      timer = vertx.setPeriodic(settings.guardrailIntervalMs(), id -> checkOnce());
    }
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  /** One round over every active loop with guardrails, unless the last one is still running. */
  Future<Void> checkOnce() {
    if (running) {
      return Future.succeededFuture();
    }
    running = true;
    Instant to = clock.instant();
    Instant from = to.minus(Duration.ofHours(settings.guardrailWindowHours()));
    List<Future<?>> loops = new ArrayList<>();
    for (Loop loop : catalog.get().loops()) {
      if (loop.active() && !loop.guardrails().isEmpty()) {
        loops.add(check(loop, from, to)
            .onFailure(err -> LOG.warn("Guardrails of loop {} not checked: {}", loop.name(), err.getMessage())));
      }
    }
    return Future.join(loops).onComplete(done -> {
      running = false;
      checks.increment();
    }).mapEmpty();
  }

  private Future<Void> check(Loop loop, Instant from, Instant to) {
    // Each guarded (loop, metric) is published at 0 before any pause: increase() in the alert needs a sample before
    // the first one, or a counter born at 1 shows no increase.
    loop.guardrails().forEach(guardrail -> pauses(loop, guardrail));
    return store.arms(loop.id(), from, to).compose(arms -> {
      if (arms.treatment().learners() < settings.guardrailMinLearners()) {
        return Future.succeededFuture();
      }
      for (Loop.Guardrail guardrail : loop.guardrails()) {
        JsonObject evidence = breach(guardrail, arms, from, to);
        if (evidence != null) {
          return pause(loop, guardrail, evidence);
        }
      }
      return Future.succeededFuture();
    });
  }

  /** The evidence that the guardrail is breached, or null when it is not shown to be (or cannot be measured). */
  JsonObject breach(Loop.Guardrail guardrail, GuardrailStore.Arms arms, Instant from, Instant to) {
    GuardrailStore.Arm t = arms.treatment();
    GuardrailStore.Arm h = arms.holdout();
    long xt;
    long xh;
    switch (guardrail.metric()) {
      case "dismiss_rate" -> {
        xt = t.dismissed();
        xh = h.dismissed();
      }
      case "opt_out_rate" -> {
        if (h.learners() == 0) {
          return null; // opting out happens without the loop too: no holdout, no baseline
        }
        xt = t.optedOut();
        xh = h.optedOut();
      }
      default -> {
        xt = t.reported(); // abuse_report_rate: trust_safety's report_abuse rows
        xh = h.reported();
      }
    }
    Intervals.Interval interval = Sequential.proportionDifference(xt, t.learners(), xh, h.learners(),
        settings.sequentialTuningN());
    if (interval == null || interval.low() <= guardrail.maxIncrease()) {
      return null;
    }
    return new JsonObject().put("metric", guardrail.metric()).put("max_increase", guardrail.maxIncrease())
        .put("from", from.toString()).put("to", to.toString())
        .put("treatment", new JsonObject().put("learners", t.learners()).put("count", xt))
        .put("holdout", new JsonObject().put("learners", h.learners()).put("count", xh))
        .put("increase", new JsonObject().put("value", interval.value()).put("low", interval.low())
            .put("high", interval.high()).put("method", "msprt"));
  }

  private Counter pauses(Loop loop, Loop.Guardrail guardrail) {
    return Counter.builder(PAUSES).tag("loop", loop.name()).tag("metric", guardrail.metric())
        .description("Loops deactivated by a guardrail (report.guardrail_*)").register(registry);
  }

  private Future<Void> pause(Loop loop, Loop.Guardrail guardrail, JsonObject evidence) {
    return admin.setLoopActive(loop.name(), false, loop.version(), ACTOR, evidence).map(answer -> {
      if (answer.getBoolean("changed", false)) {
        LOG.warn("Loop {} paused by its {} guardrail: {}", loop.name(), guardrail.metric(), evidence.encode());
        pauses(loop, guardrail).increment();
      }
      return null;
    });
  }
}
