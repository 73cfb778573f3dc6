package viralengine.decision;

/**
 * The reason code of one loop's check, in the order the checks run (DECISIONING.md "Deciding"). On the wire
 * (features_used.checks, explain_decision) they read: opted_out, inactive, not_triggered, consent_missing,
 * under_min_age, over_max_age, persona_mismatch, targeting_failed, cooling_down, cap_reached, blocked_by_trust_safety,
 * eligible. {@code blocked_by_trust_safety} is given after the checks, by the trust_safety agent (AGENTS.md).
 */
public enum Reason {
  OPTED_OUT, INACTIVE, NOT_TRIGGERED, CONSENT_MISSING, UNDER_MIN_AGE, OVER_MAX_AGE, PERSONA_MISMATCH,
  TARGETING_FAILED, COOLING_DOWN, CAP_REACHED, BLOCKED_BY_TRUST_SAFETY, ELIGIBLE;

  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
