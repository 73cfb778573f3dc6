package viralengine.decision;

/**
 * The reason code of one loop's check, in the order the checks run (DECISIONING.md "Deciding"). On the wire
 * (features_used.checks, explain_decision) they read: opted_out, inactive, not_triggered, consent_missing,
 * under_min_age, over_max_age, persona_mismatch, targeting_failed, cooling_down, cap_reached, eligible.
 */
public enum Reason {
  OPTED_OUT, INACTIVE, NOT_TRIGGERED, CONSENT_MISSING, UNDER_MIN_AGE, OVER_MAX_AGE, PERSONA_MISMATCH,
  TARGETING_FAILED, COOLING_DOWN, CAP_REACHED, ELIGIBLE;

  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
