package viralengine.agents;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The shapes a decision accepts from each agent method (AGENTS.md "The decision with agents"). Each returns the answer
 * cut down to its known fields, or names the first problem in an {@link InvalidAnswer}. Built-in and remote agents are
 * judged alike.
 */
public final class Answers {
  public static final Set<String> VERDICTS = Set.of("allow", "flag", "block");
  static final int MAX_REASONS = 32;
  static final int MAX_REASON_CHARS = 200;
  static final int MAX_AMOUNT = 1_000_000;
  static final int MAX_EXPIRY_DAYS = 36_500;
  private static final Pattern REWARD_TYPE = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  /** The personalized fields and their bounds in characters. */
  static final String[] COPY_FIELDS = {"headline", "body", "cta", "share_copy"};
  static final int[] COPY_LIMITS = {120, 500, 40, 280};

  private Answers() {}

  /** {@code trust_safety.check_action}: {verdict, reasons, risk_score}. */
  public static JsonObject checkAction(JsonObject answer) {
    Object verdict = answer.getValue("verdict");
    if (!(verdict instanceof String v) || !VERDICTS.contains(v)) {
      throw new InvalidAnswer("verdict must be one of " + VERDICTS);
    }
    if (!(answer.getValue("reasons") instanceof JsonArray reasons) || reasons.size() > MAX_REASONS) {
      throw new InvalidAnswer("reasons must be an array of at most " + MAX_REASONS + " strings");
    }
    for (Object reason : reasons) {
      if (!(reason instanceof String r) || r.isEmpty() || r.length() > MAX_REASON_CHARS) {
        throw new InvalidAnswer("reasons must hold strings of 1 to " + MAX_REASON_CHARS + " characters");
      }
    }
    if (!(answer.getValue("risk_score") instanceof Number risk) || !(risk.doubleValue() >= 0 && risk.doubleValue() <= 1)) {
      throw new InvalidAnswer("risk_score must be a number from 0 to 1");
    }
    return new JsonObject().put("verdict", verdict).put("reasons", reasons.copy()).put("risk_score", risk.doubleValue());
  }

  /** {@code personalization.personalize}: {headline, body, cta, share_copy}, each a bounded string. */
  public static JsonObject personalize(JsonObject answer) {
    JsonObject copy = new JsonObject();
    for (int i = 0; i < COPY_FIELDS.length; i++) {
      String field = COPY_FIELDS[i];
      if (!(answer.getValue(field) instanceof String text) || text.length() > COPY_LIMITS[i]) {
        throw new InvalidAnswer(field + " must be a string of at most " + COPY_LIMITS[i] + " characters");
      }
      copy.put(field, text);
    }
    return copy;
  }

  /** {@code incentives.offer_reward}: {reward: {type, amount, expires_in_days} | null}. */
  public static JsonObject offerReward(JsonObject answer) {
    if (!answer.containsKey("reward")) {
      throw new InvalidAnswer("reward is required (null for none)");
    }
    Object value = answer.getValue("reward");
    if (value == null) {
      return new JsonObject().putNull("reward");
    }
    if (!(value instanceof JsonObject reward)) {
      throw new InvalidAnswer("reward must be an object or null");
    }
    if (!(reward.getValue("type") instanceof String type) || !REWARD_TYPE.matcher(type).matches()) {
      throw new InvalidAnswer("reward.type must be 1 to 64 of [a-z0-9_], starting with a letter");
    }
    long amount = whole(reward.getValue("amount"), 1, MAX_AMOUNT, "reward.amount");
    Object expires = reward.getValue("expires_in_days");
    JsonObject kept = new JsonObject().put("type", type).put("amount", amount);
    kept.put("expires_in_days", expires == null ? null : whole(expires, 1, MAX_EXPIRY_DAYS, "reward.expires_in_days"));
    return new JsonObject().put("reward", kept);
  }

  private static long whole(Object value, long min, long max, String field) {
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() < min || n.doubleValue() > max) {
      throw new InvalidAnswer(field + " must be a whole number from " + min + " to " + max);
    }
    return n.longValue();
  }
}
