package viralengine.decision;

import viralengine.learners.Learner;
import viralengine.loops.Loop;

import java.time.Instant;

/** The audience check: consent for under-13s first, then age bounds, then persona. */
final class Audiences {
  private Audiences() {}

  /** The failing check, or null when the learner is in the loop's audience. */
  static Check check(Loop loop, Learner learner, Instant now) {
    Loop.Audience audience = loop.audience();
    Integer youngest = learner.youngestAge(now);
    Integer oldest = learner.oldestAge(now);
    if (audience.requiresParentalConsent() && (youngest == null || youngest < Decider.CONSENT_AGE)
        && !Learner.CONSENT_GRANTED.equals(learner.parentalConsent())) {
      String age = youngest == null ? "age unknown (no birth_year)" : "may be " + youngest;
      return new Check(loop.name(), Reason.CONSENT_MISSING,
          "requires parental consent under " + Decider.CONSENT_AGE + "; learner " + age + ", consent " + learner.parentalConsent());
    }
    if (audience.minAge() != null && (youngest == null || youngest < audience.minAge())) {
      return new Check(loop.name(), Reason.UNDER_MIN_AGE, "min_age " + audience.minAge() + "; learner "
          + (youngest == null ? "age unknown" : "may be " + youngest));
    }
    if (audience.maxAge() != null && (oldest == null || oldest > audience.maxAge())) {
      return new Check(loop.name(), Reason.OVER_MAX_AGE, "max_age " + audience.maxAge() + "; learner "
          + (oldest == null ? "age unknown" : "may be " + oldest));
    }
    // List.of(...).contains(null) throws, and an unknown persona is outside any list.
    if (!audience.personas().isEmpty() && (learner.persona() == null || !audience.personas().contains(learner.persona()))) {
      return new Check(loop.name(), Reason.PERSONA_MISMATCH, "personas " + audience.personas() + "; learner is "
          + (learner.persona() == null ? "of unknown persona" : learner.persona()));
    }
    return null;
  }
}
