package viralengine.learners;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.ZoneId;

/**
 * A learner profile (DECISIONING.md "Learners"). A learner never seen has the defaults of {@link #unknown}.
 *
 * @param birthYear null when unknown
 * @param persona student, parent, tutor, or null when unknown
 * @param parentalConsent granted, denied or unknown
 */
public record Learner(String userId, ZoneId timezone, Integer birthYear, String persona, String parentalConsent,
    boolean growthOptOut, JsonObject attributes) {
  public static final String CONSENT_GRANTED = "granted";
  public static final String CONSENT_UNKNOWN = "unknown";

  public static Learner unknown(String userId) {
    return new Learner(userId, ZoneId.of("UTC"), null, null, CONSENT_UNKNOWN, false, new JsonObject());
  }

  /**
   * The learner's age in completed years as far as it can be known from a birth year alone: the youngest
   * they can be (a birthday this year counts as not yet reached), so that age limits and the consent
   * rule for under-13s err towards protecting the child. Null when the birth year is unknown.
   */
  public Integer youngestAge(Instant now) {
    return birthYear == null ? null : now.atZone(timezone).getYear() - birthYear - 1;
  }

  /** The oldest the learner can be this year; null when unknown. */
  public Integer oldestAge(Instant now) {
    return birthYear == null ? null : now.atZone(timezone).getYear() - birthYear;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("user_id", userId)
        .put("timezone", timezone.getId())
        .put("birth_year", birthYear)
        .put("persona", persona)
        .put("parental_consent", parentalConsent)
        .put("growth_opt_out", growthOptOut)
        .put("attributes", attributes);
  }
}
