package viralengine.decision;

import viralengine.learners.History;
import io.vertx.core.json.JsonObject;
import viralengine.frequency.FrequencyRule;
import viralengine.frequency.Period;
import viralengine.learners.Learner;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decision procedure as a pure function of its inputs: no I/O, no clock of its own, no Vert.x runtime.
 * Each loop runs the checks of DECISIONING.md in order, and the first that fails gives its reason; the strategy
 * ({@code priority}, {@code thompson} or {@code random}, with the random source the situation brings) then picks
 * among the eligible loops; a held-out learner is shown nothing, and a shown loop's variant is the learner's.
 */
public final class Decider {
  public static final String PHASE_1_RATIONALE = "Phase 1: Event logged, no loops active yet";
  /** Below this age a loop that requires parental consent needs it granted. */
  static final int CONSENT_AGE = 13;

  /** Highest priority first, then the higher expected K, then the name. */
  static final Comparator<Loop> PRIORITY = Comparator.comparingInt(Loop::priority).reversed()
      .thenComparing(Comparator.comparingDouble(Loop::expectedK).reversed())
      .thenComparing(Loop::name);

  /** A calendar week plus the widest zone offsets: any week's selections, in any zone, lie within this. */
  static final long CALENDAR_LOOKBACK_SECONDS = 8 * 86_400L + 2 * 14 * 3_600L;

  private Decider() {}

  /**
   * How far back a decision must read the learner's selections at {@code now}: far enough for every rule's
   * window and every cooldown, and all the way for a lifetime rule.
   */
  public static Instant historySince(Catalog catalog, Instant now) {
    long seconds = CALENDAR_LOOKBACK_SECONDS;
    for (FrequencyRule rule : catalog.rules()) {
      if (rule.period() instanceof Period.Lifetime) {
        return Instant.EPOCH;
      }
      if (rule.period() instanceof Period.Rolling rolling) {
        seconds = Math.max(seconds, rolling.seconds());
      }
    }
    for (Loop loop : catalog.loops()) {
      seconds = Math.max(seconds, loop.cooldownSeconds());
    }
    return now.minusSeconds(seconds);
  }

  public static Evaluation decide(Catalog catalog, Situation situation) {
    return decide(catalog, situation, Map.of());
  }

  /**
   * The decision with some loops blocked by trust_safety (loop name to the detail): a blocked loop that passed every
   * check gets {@link Reason#BLOCKED_BY_TRUST_SAFETY}, and the strategy picks among the other eligible loops.
   */
  public static Evaluation decide(Catalog catalog, Situation situation, Map<String, String> blocked) {
    Learner learner = situation.learner();
    Map<Long, Loop> byId = new HashMap<>();
    catalog.loops().forEach(loop -> byId.put(loop.id(), loop));
    JsonObject attributes = attributes(situation);
    List<Check> checks = new ArrayList<>(catalog.loops().size());
    List<Loop> eligible = new ArrayList<>();
    for (Loop loop : catalog.loops()) {
      Check check = check(loop, catalog.rules(), byId, situation, attributes);
      if (check.eligible() && blocked.containsKey(loop.name())) {
        check = new Check(loop.name(), Reason.BLOCKED_BY_TRUST_SAFETY, blocked.get(loop.name()));
      }
      checks.add(check);
      if (check.eligible()) {
        eligible.add(loop);
      }
    }
    eligible.sort(PRIORITY);
    Experiment experiment = situation.experiment();
    boolean heldBack = experiment.heldBack(learner.userId());
    Bandit.Pick pick = eligible.isEmpty() ? null : heldBack
        ? new Bandit.Pick(eligible.get(0), Strategy.PRIORITY, "holdback", Map.of())
        : pick(eligible, situation, experiment);
    Loop chosen = pick == null ? null : pick.loop();
    boolean heldOut = Buckets.heldOut(experiment.salt(), experiment.holdoutPercent(), learner.userId());
    Evaluation.Outcome outcome = learner.growthOptOut() ? Evaluation.Outcome.OPTED_OUT
        : chosen == null ? Evaluation.Outcome.NO_ELIGIBLE_LOOP
        : heldOut ? Evaluation.Outcome.HOLDOUT : Evaluation.Outcome.SELECTED;
    String rationale = rationale(catalog, situation, outcome, pick, eligible.size());
    Loop.Variant variant = outcome != Evaluation.Outcome.SELECTED ? null
        : Variants.pick(chosen, experiment.salt(), learner.userId(), experiment.storedVariants().get(chosen.id()));
    Propensities.Estimate propensities = pick == null ? null
        : Propensities.of(pick.strategy(), eligible, situation.eventType(), experiment.posteriors(),
            recencyBuckets(eligible, situation));
    return new Evaluation(outcome, List.copyOf(checks), List.copyOf(eligible), chosen, rationale, catalog.configVersion(),
        heldOut, variant, experiment.strategy(), pick, propensities);
  }

  /** The strategy's choice among the eligible loops (in priority order). */
  static Bandit.Pick pick(List<Loop> eligible, Situation situation, Experiment experiment) {
    String eventType = situation.eventType();
    return switch (experiment.strategy()) {
      case PRIORITY -> new Bandit.Pick(eligible.get(0), Strategy.PRIORITY, "priority", Map.of());
      case RANDOM -> Bandit.uniform(eligible, experiment.random());
      case THOMPSON -> Bandit.thompson(eligible, eventType, experiment.posteriors(), experiment.random());
      case RECOVERING -> Bandit.recovering(eligible, eventType, experiment.posteriors(),
          recencyBuckets(eligible, situation), experiment.random());
    };
  }

  /** Each eligible loop's recency bucket for this learner: how long since their last counted selection of it. */
  static Map<Long, Integer> recencyBuckets(List<Loop> eligible, Situation situation) {
    Map<Long, Instant> lastSeen = new HashMap<>();
    for (History.Selection selection : situation.history().selections()) {
      lastSeen.merge(selection.loopId(), selection.at(), (a, b) -> a.isAfter(b) ? a : b);
    }
    Map<Long, Integer> buckets = new HashMap<>();
    for (Loop loop : eligible) {
      Instant seen = lastSeen.get(loop.id());
      buckets.put(loop.id(), Posteriors.Recency.bucket(seen == null ? null
          : Math.max(0, situation.now().getEpochSecond() - seen.getEpochSecond())));
    }
    return buckets;
  }

  static Check check(Loop loop, List<FrequencyRule> rules, Map<Long, Loop> byId, Situation s, JsonObject attributes) {
    if (s.learner().growthOptOut()) {
      return new Check(loop.name(), Reason.OPTED_OUT, "the learner opted out of growth loops");
    }
    if (!loop.active()) {
      return new Check(loop.name(), Reason.INACTIVE, "the loop is inactive");
    }
    if (!loop.triggeredBy(s.eventType())) {
      return new Check(loop.name(), Reason.NOT_TRIGGERED, "triggered by " + loop.triggers() + ", not " + s.eventType());
    }
    Check audience = Audiences.check(loop, s.learner(), s.now());
    if (audience != null) {
      return audience;
    }
    String failed = loop.targeting().failingPath(attributes);
    if (failed != null) {
      return new Check(loop.name(), Reason.TARGETING_FAILED, failed);
    }
    Check cooling = Cooldowns.check(loop, s.history(), s.now());
    if (cooling != null) {
      return cooling;
    }
    Check cap = Caps.check(loop, rules, byId, s);
    return cap != null ? cap : new Check(loop.name(), Reason.ELIGIBLE, "eligible");
  }

  /** What targeting conditions see; {@code learner.age} is the youngest the learner can be. */
  static JsonObject attributes(Situation s) {
    Learner learner = s.learner();
    return new JsonObject()
        .put("event_type", s.eventType())
        .put("context", s.context() == null ? new JsonObject() : s.context())
        .put("learner", new JsonObject()
            .put("age", learner.youngestAge(s.now()))
            .put("persona", learner.persona())
            .put("parental_consent", learner.parentalConsent())
            .put("timezone", learner.timezone().getId())
            .put("attributes", learner.attributes()));
  }

  private static String rationale(Catalog catalog, Situation situation, Evaluation.Outcome outcome, Bandit.Pick pick,
      int eligible) {
    String eventType = situation.eventType();
    Loop chosen = pick == null ? null : pick.loop();
    if (outcome == Evaluation.Outcome.OPTED_OUT) {
      return "No loop: the learner opted out of growth loops";
    }
    if (catalog.loops().stream().noneMatch(Loop::active)) {
      return PHASE_1_RATIONALE;
    }
    String scope = eventType == null ? "" : " for " + eventType;
    if (chosen == null) {
      return "No eligible loop" + scope + ": every loop failed a check (see features_used.checks)";
    }
    String why = ": " + why(pick, situation) + ", " + eligible + " of " + catalog.loops().size() + " loops eligible";
    if (outcome == Evaluation.Outcome.HOLDOUT) {
      return "Held out: the learner is in the " + situation.experiment().holdoutPercent() + "% holdout; would have selected "
          + chosen.name() + scope + why;
    }
    return "Selected " + chosen.name() + scope + why;
  }

  /** The strategy's reason, in words. */
  private static String why(Bandit.Pick pick, Situation situation) {
    return switch (pick.rule()) {
      case "priority" -> "highest-priority eligible loop (priority " + pick.loop().priority() + ")";
      case "holdback" -> "highest-priority eligible loop (priority " + pick.loop().priority() + "): the learner is in the "
          + situation.experiment().holdbackPercent() + "% holdback of selection.strategy "
          + situation.experiment().strategy().wire();
      case "random" -> "chosen uniformly at random (selection.strategy random)";
      case "floor" -> "Thompson sampling's 1% floor for each eligible loop";
      case "explore" -> "Thompson sampling explores loops with fewer than " + Bandit.EXPLORE_BELOW + " selections ("
          + situation.experiment().posteriors().of(pick.loop().id(), situation.eventType()).trials() + " so far)";
      default -> String.format(java.util.Locale.ROOT, "highest %s draw (%.4f)",
          pick.strategy() == Strategy.RECOVERING ? "recovering-bandit" : "Thompson", pick.draws().get(pick.loop().name()));
    };
  }
}
