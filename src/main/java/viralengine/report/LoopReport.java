package viralengine.report;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.api.Requests;
import viralengine.config.AppConfig;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * loop_report: the figures per row, each rate with its 95% interval, the K-factor and the lift against the
 * holdout. The exact semantics of every figure are in docs/measure-and-learn.md ("Report").
 */
public final class LoopReport {
  private final ReportStore store;
  private final int holdoutPercent;
  private final Supplier<Catalog> catalog;
  private final int holdbackPercent;
  private final String strategy;
  private final long tuningN;

  /**
   * The configured split the sample-ratio checks expect (the holdout's and the holdback's share and the catalog's
   * variant weights), the strategy the holdback is compared with, and the sample size at which the always-valid
   * intervals are narrowest.
   */
  public LoopReport(ReportStore store, AppConfig config, Supplier<Catalog> catalog) {
    this.store = store;
    this.holdoutPercent = config.experiments().holdoutPercent();
    this.holdbackPercent = config.selection().holdbackPercent();
    this.strategy = config.selection().strategy();
    this.catalog = catalog;
    this.tuningN = config.report().sequentialTuningN();
  }

  public Future<JsonObject> run(Requests.LoopReport request) {
    if ("strategy".equals(request.groupBy())) {
      return store.readPolicies(request.from(), request.to()).map(policies -> new JsonObject()
          .put("from", request.from().toString())
          .put("to", request.to().toString())
          .put("group_by", request.groupBy())
          .put("complete", true)
          .mergeIn(byPolicy(policies.policies()))
          .put("off_policy", offPolicy(policies)));
    }
    return store.read(request.from(), request.to(), level(request.groupBy()))
        .map(snapshot -> new JsonObject()
            .put("from", request.from().toString())
            .put("to", request.to().toString())
            .put("group_by", request.groupBy())
            .put("complete", snapshot.complete())
            .put("rows", rows(snapshot, request.groupBy(), split())));
  }

  static String level(String groupBy) {
    return switch (groupBy) {
      case "variant" -> ReportStore.VARIANT;
      case "event_type" -> ReportStore.EVENT_TYPE;
      default -> ReportStore.LOOP;
    };
  }

  /** The split the configuration asks for: the holdout's percent and each loop's variant weights, by loop name. */
  record Split(int holdoutPercent, Map<String, List<Loop.Variant>> variants) {}

  Split split() {
    Map<String, List<Loop.Variant>> variants = new HashMap<>();
    catalog.get().loops().forEach(loop -> variants.put(loop.name(), loop.variants()));
    return new Split(holdoutPercent, variants);
  }

  /** What one row adds up: the treatment's figures and learners, and its holdout's. */
  private static final class Row {
    String loop;
    long loopId;
    String group;
    ReportStore.Figures treatment;
    long selected;
    long exposed;
    boolean hasTreatment;
  }

  private record Key(long loopId, String group) {}

  /** Rows sorted by loop name, then group; a loop with holdouts only gets a row of its own. */
  JsonArray rows(ReportStore.Snapshot snapshot, String groupBy, Split split) {
    boolean byVariant = "variant".equals(groupBy);
    Map<Key, Row> rows = new HashMap<>();
    Map<Key, ReportStore.Figures> holdouts = new HashMap<>();
    Map<Key, Long> heldOut = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    for (ReportStore.Figures f : snapshot.figures()) {
      names.put(f.loopId(), f.loop());
      Key key = new Key(f.loopId(), f.group());
      if ("holdout".equals(f.arm())) {
        holdouts.put(key, f);
      } else {
        Row row = rows.computeIfAbsent(key, k -> newRow(k, f.loop()));
        row.treatment = f;
        row.hasTreatment = true;
      }
    }
    for (ReportStore.Learners l : snapshot.learners()) {
      Key key = new Key(l.loopId(), l.group());
      switch (l.kind()) {
        case "h" -> heldOut.put(key, l.learners());
        case "s" -> rows.computeIfAbsent(key, k -> newRow(k, names.get(k.loopId()))).selected = l.learners();
        default -> rows.computeIfAbsent(key, k -> newRow(k, names.get(k.loopId()))).exposed = l.learners();
      }
    }
    for (Key key : holdouts.keySet()) {
      boolean loopHasRows = rows.values().stream().anyMatch(r -> r.loopId == key.loopId() && r.hasTreatment);
      if (!loopHasRows) {
        rows.computeIfAbsent(key, k -> newRow(k, names.get(k.loopId())));
      }
    }
    Map<Long, Srm.Result> variantChecks = byVariant ? variantChecks(rows.values(), split) : Map.of();
    JsonArray out = new JsonArray();
    rows.values().stream()
        .sorted(Comparator.comparing((Row r) -> r.loop == null ? "" : r.loop).thenComparing(r -> r.group))
        .forEach(r -> {
          Key holdoutKey = new Key(r.loopId, byVariant ? "" : r.group);
          long heldOutLearners = heldOut.getOrDefault(holdoutKey, 0L);
          Srm.Result srm = byVariant ? variantChecks.get(r.loopId)
              : Srm.holdout(split.holdoutPercent(), r.selected, heldOutLearners);
          out.add(row(r, groupBy, holdouts.get(holdoutKey), heldOutLearners)
              .put("srm", srm == null ? null : srm.toJson()));
        });
    return out;
  }

  /**
   * Per loop with variants: its learners per variant against the configured weights. Learners of a variant the
   * loop no longer has are left out (they were assigned under another configuration); a loop without variants has
   * no check.
   */
  private static Map<Long, Srm.Result> variantChecks(Iterable<Row> rows, Split split) {
    Map<Long, Map<String, Long>> observed = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    for (Row r : rows) {
      observed.computeIfAbsent(r.loopId, id -> new HashMap<>()).put(r.group, r.selected);
      names.put(r.loopId, r.loop);
    }
    Map<Long, Srm.Result> checks = new HashMap<>();
    observed.forEach((loopId, learners) -> {
      List<Loop.Variant> variants = split.variants().getOrDefault(names.get(loopId), List.of());
      if (variants.isEmpty()) {
        return;
      }
      Map<String, Double> shares = new LinkedHashMap<>();
      Map<String, Long> counts = new LinkedHashMap<>();
      for (Loop.Variant variant : variants) {
        shares.put(variant.key(), variant.weight());
        counts.put(variant.key(), learners.getOrDefault(variant.key(), 0L));
      }
      checks.put(loopId, Srm.test(shares, counts));
    });
    return checks;
  }

  private static Row newRow(Key key, String loop) {
    Row row = new Row();
    row.loopId = key.loopId();
    row.group = key.group();
    row.loop = loop;
    return row;
  }

  private JsonObject row(Row r, String groupBy, ReportStore.Figures holdout, long heldOutLearners) {
    ReportStore.Figures t = r.treatment == null
        ? new ReportStore.Figures(r.loopId, r.loop, r.group, "treatment", 0, 0, 0, 0, 0) : r.treatment;
    long holdoutJoined = holdout == null ? 0 : holdout.joined();
    JsonObject row = new JsonObject().put("loop", r.loop);
    if (!"loop".equals(groupBy)) {
      row.put(groupBy, r.group.isEmpty() ? null : r.group);
    }
    return row
        .put("selections", t.decisions())
        .put("learners_selected", r.selected)
        .put("learners_exposed", r.exposed)
        .put("shown", t.shown())
        .put("invite_sent", t.inviteSent())
        .put("joined", t.joined())
        .put("fvm_reached", t.fvmReached())
        .put("rates", new JsonObject()
            .put("shown", proportion(t.shown(), t.decisions()))
            .put("exposed", proportion(r.exposed, r.selected))
            .put("invite_sent", poisson(t.inviteSent(), r.exposed).put("numerator", t.inviteSent())
                .put("denominator", r.exposed))
            .put("joined", proportion(t.joined(), t.inviteSent()))
            .put("fvm_reached", proportion(t.fvmReached(), t.joined())))
        .put("k_factor", poisson(t.joined(), r.exposed))
        .put("joins_per_learner", poisson(t.joined(), r.selected))
        .put("holdout", new JsonObject()
            .put("decisions", holdout == null ? 0 : holdout.decisions())
            .put("learners", heldOutLearners)
            .put("joined", holdoutJoined)
            .put("joins_per_learner", poisson(holdoutJoined, heldOutLearners)))
        .put("lift", lift(t.joined(), r.selected, holdoutJoined, heldOutLearners));
  }

  /** A proportion x/n with its Wilson and always-valid intervals, numerator and denominator. */
  private JsonObject proportion(long x, long n) {
    return interval(Intervals.wilson(x, n), "wilson", Sequential.proportion(x, n, tuningN))
        .put("numerator", x).put("denominator", n);
  }

  /** A count per unit x/n with its log-scale Poisson and always-valid intervals. */
  private JsonObject poisson(long x, long n) {
    return interval(Intervals.poissonRate(x, n), "poisson", Sequential.rate(x, n, tuningN));
  }

  /** xt/nt − xh/nh with its Wald and always-valid intervals. */
  private JsonObject lift(long xt, long nt, long xh, long nh) {
    return interval(Intervals.rateDifference(xt, nt, xh, nh), "wald", Sequential.rateDifference(xt, nt, xh, nh, tuningN));
  }

  /** {value, low, high, method, sequential: {low, high, method}}, nulls when the figure is undefined. */
  private static JsonObject interval(Intervals.Interval interval, String method, Intervals.Interval sequential) {
    JsonObject json = new JsonObject();
    JsonObject always = new JsonObject().put("method", "msprt");
    if (sequential == null) {
      always.putNull("low").putNull("high");
    } else {
      always.put("low", sequential.low()).put("high", sequential.high());
    }
    if (interval == null) {
      return json.putNull("value").putNull("low").putNull("high").put("method", method).put("sequential", always);
    }
    return json.put("value", interval.value()).put("low", interval.low()).put("high", interval.high())
        .put("method", method).put("sequential", always);
  }

  /**
   * {@code group_by: strategy}: one row per policy (the strategy each decision was made with; {@code holdback}
   * for the learners decided by priority under selection.holdback_percent; {@code holdout}), each policy's joins per
   * learner, and the lift of the configured strategy over the holdback, with the holdback split's sample-ratio check.
   */
  JsonObject byPolicy(List<ReportStore.Policy> policies) {
    JsonArray rows = new JsonArray();
    Map<String, ReportStore.Policy> byName = new HashMap<>();
    for (ReportStore.Policy p : policies) {
      byName.put(p.policy(), p);
      rows.add(new JsonObject().put("strategy", p.policy()).put("selections", p.decisions())
          .put("learners", p.learners()).put("invite_sent", p.inviteSent()).put("joined", p.joined())
          .put("fvm_reached", p.fvmReached()).put("joins_per_learner", poisson(p.joined(), p.learners())));
    }
    ReportStore.Policy treated = byName.getOrDefault(strategy, ReportStore.Policy.none(strategy));
    ReportStore.Policy heldBack = byName.getOrDefault(HOLDBACK, ReportStore.Policy.none(HOLDBACK));
    Map<String, Double> shares = new LinkedHashMap<>();
    shares.put(strategy, (100.0 - holdbackPercent) / 100);
    shares.put(HOLDBACK, holdbackPercent / 100.0);
    Map<String, Long> observed = new LinkedHashMap<>();
    observed.put(strategy, treated.learners());
    observed.put(HOLDBACK, heldBack.learners());
    return new JsonObject().put("rows", rows)
        .put("lift", lift(treated.joined(), treated.learners(), heldBack.joined(), heldBack.learners())
            .put("of", strategy).put("over", HOLDBACK))
        .put("srm", Srm.test(shares, observed).toJson());
  }

  static final String HOLDBACK = "holdback";

  /**
   * "What would priority have earned?": the SNIPS estimate of priority's joins per decision from the strategy's
   * logged decisions and propensities, beside what the holdback (priority, really run) measured.
   */
  static JsonObject offPolicy(ReportStore.Policies policies) {
    OffPolicy.Sums sums = policies.offPolicy();
    Intervals.Interval estimate = OffPolicy.snips(sums);
    JsonObject json = new JsonObject().put("policy", "priority").put("reward", "joined per decision")
        .put("decisions", sums.decisions()).put("matched", sums.matched());
    json.put("estimate", estimate == null
        ? new JsonObject().putNull("value").putNull("low").putNull("high").put("method", "snips")
        : new JsonObject().put("value", estimate.value()).put("low", estimate.low()).put("high", estimate.high())
            .put("method", "snips"));
    ReportStore.Policy heldBack = policies.policies().stream().filter(p -> HOLDBACK.equals(p.policy())).findFirst()
        .orElse(null);
    Intervals.Interval measured = heldBack == null ? null : Intervals.poissonRate(heldBack.joined(), heldBack.decisions());
    return json.put("measured", measured == null ? null : new JsonObject().put("value", measured.value())
        .put("low", measured.low()).put("high", measured.high()).put("method", "poisson").put("of", HOLDBACK));
  }

  /**
   * The figures the gauges publish, per loop: K-factor, lift and the p-values of the holdout's and the variants'
   * sample-ratio checks (null when undefined).
   */
  public record LoopGauges(String loop, Double kFactor, Double lift, Double holdoutSrmP, Double variantSrmP) {}

  /** The gauges of every loop over [from, to): the loop-level report, then the variant-level one for its SRM. */
  public Future<List<LoopGauges>> gauges(java.time.Instant from, java.time.Instant to) {
    Split split = split();
    return store.read(from, to, ReportStore.LOOP).compose(byLoop -> store.read(from, to, ReportStore.VARIANT)
        .map(byVariant -> {
          Map<String, Double> variantP = new HashMap<>();
          rows(byVariant, "variant", split).stream().map(o -> (JsonObject) o)
              .filter(row -> row.getJsonObject("srm") != null)
              .forEach(row -> variantP.put(row.getString("loop"), row.getJsonObject("srm").getDouble("p_value")));
          return rows(byLoop, "loop", split).stream()
              .map(o -> (JsonObject) o)
              .map(row -> new LoopGauges(row.getString("loop"), row.getJsonObject("k_factor").getDouble("value"),
                  row.getJsonObject("lift").getDouble("value"), row.getJsonObject("srm").getDouble("p_value"),
                  variantP.get(row.getString("loop"))))
              .toList();
        }));
  }
}
