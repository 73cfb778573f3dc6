package viralengine.decision;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.loops.Loop;

import java.util.List;

/**
 * The output of the pure decision core: every loop's check (in catalog order), the eligible loops in the order
 * the strategy ranks them, and the loop chosen (null when none). For a held-out learner {@code chosen} is the
 * counterfactual: the loop they would have been shown; {@link #shown()} is what the caller gets.
 *
 * @param heldOut whether the learner is in the holdout (whatever the outcome)
 * @param variant the shown loop's variant for this learner; null when nothing is shown or the loop has none
 * @param pick how the strategy chose {@code chosen}; null when no loop was eligible
 * @param propensities the probability the strategy gave each eligible loop; null when none was eligible
 */
public record Evaluation(Outcome outcome, List<Check> checks, List<Loop> eligible, Loop chosen, String rationale,
    long configVersion, boolean heldOut, Loop.Variant variant, Strategy strategy, Bandit.Pick pick,
    Propensities.Estimate propensities) {

  /** The decision's {@code outcome} field. */
  public enum Outcome {
    SELECTED, NO_ELIGIBLE_LOOP, OPTED_OUT, HOLDOUT, DEGRADED;

    public String code() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * This evaluation with nothing shown: trust_safety blocked as many candidates as it may vet. The loops never vetted
   * stay eligible in the checks; the answer shows none of them.
   */
  public Evaluation nothingShown(String why) {
    return new Evaluation(Outcome.NO_ELIGIBLE_LOOP, checks, eligible, null, why, configVersion, heldOut, null, strategy,
        null, null);
  }

  /** This evaluation with another rationale. */
  public Evaluation withRationale(String why) {
    return new Evaluation(outcome, checks, eligible, chosen, why, configVersion, heldOut, variant, strategy, pick,
        propensities);
  }

  /** The loop the caller is shown: the chosen one, unless the learner is held out. */
  public Loop shown() {
    return outcome == Outcome.SELECTED ? chosen : null;
  }

  /** What the product renders: the variant's action, or the loop's; null when no loop is shown. */
  public JsonObject action() {
    Loop loop = shown();
    return loop == null ? null : variant != null ? variant.action() : loop.action();
  }

  public JsonArray eligibleNames() {
    JsonArray names = new JsonArray();
    eligible.forEach(loop -> names.add(loop.name()));
    return names;
  }

  public JsonArray checksJson() {
    JsonArray all = new JsonArray();
    checks.forEach(check -> all.add(check.toJson()));
    return all;
  }

  /** What the audit row keeps under {@code features_used}. */
  public JsonObject features(String eventType) {
    JsonObject features = new JsonObject()
        .put("event_type", eventType)
        .put("strategy", strategy.wire());
    if (pick != null && "holdback".equals(pick.rule())) {
      // Decided by priority: loop_report{group_by: strategy} compares these learners with the strategy's.
      features.put("holdback", true);
    }
    if (pick != null && (pick.strategy() == Strategy.THOMPSON || pick.strategy() == Strategy.RECOVERING)) {
      features.put("pick", pick.rule()).put("draws", new JsonObject(new java.util.LinkedHashMap<>(pick.draws())));
    }
    if (propensities != null) {
      // The chosen loop's probability (a holdout's counterfactual's), every eligible loop's, and priority's choice:
      // what an off-policy estimate of another policy needs from the log alone.
      features.put("propensity", propensities.of(chosen))
          .put("propensities", new JsonObject(new java.util.LinkedHashMap<>(propensities.byLoop())))
          .put("propensity_method", propensities.method())
          .put("priority_choice", eligible.get(0).name());
    }
    return features
        .put("loops_evaluated", checks.size())
        .put("checks", checksJson())
        .put("config_version", configVersion)
        .put("experiments", experiments());
  }

  /** The learner's assignments as this decision saw them; a holdout also names its counterfactual loop. */
  public JsonObject experiments() {
    JsonObject experiments = new JsonObject().put("holdout", heldOut);
    if (variant != null) {
      experiments.put("variants", new JsonObject().put(chosen.name(), variant.key()));
    }
    if (outcome == Outcome.HOLDOUT) {
      experiments.put("counterfactual", chosen.name());
    }
    return experiments;
  }
}
