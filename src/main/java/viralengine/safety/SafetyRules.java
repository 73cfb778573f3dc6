package viralengine.safety;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.loops.Loop;

import java.util.ArrayList;
import java.util.List;

/**
 * check_action's five rules, in order, over the facts one query gathered ({@link SafetyStore#facts}). A rule that
 * blocks makes the verdict block (risk 1); otherwise {@code reported} adds 0.5 per report of the last 30 days to the
 * risk score (at most 1), which blocks from 0.6 and flags from 0.4. Every rule that fired is named.
 */
final class SafetyRules {
  static final int CHILD_AGE = 13;
  static final double REPORT_RISK = 0.5;
  static final double BLOCK_AT = 0.6;
  static final double FLAG_AT = 0.4;

  /** What the store read for one learner and loop. */
  record Facts(boolean blocked, boolean loopBlocked, long invites, long selections, boolean ring, long reports) {}

  /** The learner as the caller described them. */
  record Learner(Integer age, String parentalConsent) {}

  record Limits(int maxInvitesPerDay, int maxSelectionsPerHour) {}

  private SafetyRules() {}

  static JsonObject verdict(Facts facts, Loop loop, Learner learner, Limits limits) {
    List<String> reasons = new ArrayList<>();
    boolean block = false;
    if (facts.blocked()) {
      reasons.add(SafetyApi.BLOCKED_USER);
      block = true;
    }
    if (shares(loop) && (learner.age() == null || learner.age() < CHILD_AGE) && !"granted".equals(learner.parentalConsent())) {
      reasons.add(SafetyApi.CHILD_SHARING);
      block = true;
    }
    if (facts.invites() > limits.maxInvitesPerDay() || facts.selections() > limits.maxSelectionsPerHour()) {
      reasons.add(SafetyApi.INVITE_RATE);
      block = true;
    }
    if (facts.ring()) {
      reasons.add(SafetyApi.REFERRAL_RING);
      block = true;
    }
    double risk = Math.min(1.0, REPORT_RISK * facts.reports());
    if (facts.loopBlocked() || facts.reports() > 0) {
      // A report of this learner's use of this very loop blocks it for them; other reports raise the risk.
      reasons.add(SafetyApi.REPORTED);
      block |= facts.loopBlocked();
    }
    if (block) {
      risk = 1.0;
    }
    String verdict = block || risk >= BLOCK_AT ? SafetyApi.BLOCK : risk >= FLAG_AT ? SafetyApi.FLAG : SafetyApi.ALLOW;
    return new JsonObject().put("verdict", verdict).put("reasons", new JsonArray(reasons)).put("risk_score", risk);
  }

  /** The loop shares or invites: channels on its action (or a variant's), or the group social. */
  static boolean shares(Loop loop) {
    if (loop.groups().contains("social") || hasChannels(loop.action())) {
      return true;
    }
    return loop.variants().stream().anyMatch(v -> hasChannels(v.action()));
  }

  private static boolean hasChannels(JsonObject action) {
    return action != null && action.getValue("channels") instanceof JsonArray channels && !channels.isEmpty();
  }
}
