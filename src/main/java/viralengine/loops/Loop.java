package viralengine.loops;

import io.vertx.core.json.JsonObject;
import viralengine.targeting.Condition;

import java.util.List;

/**
 * A viral loop as the growth team manages it (see DECISIONING.md "Loops"). Immutable; a change makes a new
 * loop with a higher {@code version}. {@code targeting} is kept both as written and parsed, so decisions never
 * parse it again.
 *
 * @param triggers event types that may fire this loop; empty means any
 * @param action the payload the product renders when this loop is selected (and it has no variants)
 * @param variants weighted alternatives to {@code action}, empty for none; a learner keeps the one first assigned
 * @param incentive the rewards a join through this loop grants each side ({@link Incentive#NONE} for none)
 * @param guardrails metrics that, when they worsen beyond their bound against the holdout, pause the loop
 */
public record Loop(
    long id,
    String name,
    String displayName,
    String description,
    boolean active,
    List<String> triggers,
    int priority,
    double expectedK,
    List<String> groups,
    Audience audience,
    JsonObject targetingDocument,
    Condition targeting,
    long cooldownSeconds,
    long dismissCooldownSeconds,
    JsonObject action,
    List<Variant> variants,
    long version,
    Incentive incentive,
    List<Guardrail> guardrails) {

  /** A loop without an incentive or guardrails. */
  public Loop(long id, String name, String displayName, String description, boolean active, List<String> triggers,
      int priority, double expectedK, List<String> groups, Audience audience, JsonObject targetingDocument,
      Condition targeting, long cooldownSeconds, long dismissCooldownSeconds, JsonObject action, List<Variant> variants,
      long version) {
    this(id, name, displayName, description, active, triggers, priority, expectedK, groups, audience, targetingDocument,
        targeting, cooldownSeconds, dismissCooldownSeconds, action, variants, version, Incentive.NONE, List.of());
  }

  /** A loop without variants: every learner is shown {@code action}. */
  public Loop(long id, String name, String displayName, String description, boolean active, List<String> triggers,
      int priority, double expectedK, List<String> groups, Audience audience, JsonObject targetingDocument,
      Condition targeting, long cooldownSeconds, long dismissCooldownSeconds, JsonObject action, long version) {
    this(id, name, displayName, description, active, triggers, priority, expectedK, groups, audience, targetingDocument,
        targeting, cooldownSeconds, dismissCooldownSeconds, action, List.of(), version);
  }

  /**
   * An alternative action payload, shown to a sticky share of the loop's learners: {@code weight} over the sum
   * of the loop's weights.
   */
  public record Variant(String key, double weight, JsonObject action) {}

  /**
   * A guardrail: when the always-valid interval shows with 95% confidence that {@code metric} (a share of the
   * loop's learners) exceeds the holdout's by more than {@code maxIncrease}, the guardrail job deactivates the loop.
   */
  public record Guardrail(String metric, double maxIncrease) {
    public static final List<String> METRICS = List.of("dismiss_rate", "opt_out_rate", "abuse_report_rate");
  }

  /**
   * Who may see the loop.
   *
   * @param personas empty means every persona
   */
  public record Audience(Integer minAge, Integer maxAge, List<String> personas, boolean requiresParentalConsent) {
    public static final Audience ANYONE = new Audience(null, null, List.of(), false);
  }

  /**
   * The reward types (incentives agent) a {@code joined} outcome through this loop grants: {@code referrer} to the
   * decision's learner, {@code joiner} to the referred learner; either may be null.
   */
  public record Incentive(String referrer, String joiner) {
    public static final Incentive NONE = new Incentive(null, null);

    public boolean isNone() {
      return referrer == null && joiner == null;
    }

    /** The reward type for a role ({@code referrer} or {@code joiner}); null when none. */
    public String forRole(String role) {
      return "referrer".equals(role) ? referrer : "joiner".equals(role) ? joiner : null;
    }
  }

  public boolean triggeredBy(String eventType) {
    return eventType == null || triggers.isEmpty() || triggers.contains(eventType);
  }
}
