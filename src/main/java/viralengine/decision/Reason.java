package viralengine.decision;

/** The reason code of one loop's check, in the order the checks run (DECISIONING.md "Deciding"). */
public enum Reason {
  OPTED_OUT, INACTIVE, NOT_TRIGGERED, CONSENT_MISSING, UNDER_MIN_AGE, OVER_MAX_AGE, PERSONA_MISMATCH,
  TARGETING_FAILED, COOLING_DOWN, CAP_REACHED, ELIGIBLE;

  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
