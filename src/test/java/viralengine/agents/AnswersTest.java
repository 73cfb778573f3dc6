package viralengine.agents;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a decision accepts from each agent method: the contract's types and sizes, known fields only. */
class AnswersTest {
  static JsonObject verdict(Object verdict, Object reasons, Object risk) {
    return new JsonObject().put("verdict", verdict).put("reasons", reasons).put("risk_score", risk);
  }

  static JsonObject copy(String headline) {
    return new JsonObject().put("headline", headline).put("body", "b").put("cta", "c").put("share_copy", "s");
  }

  static String problem(Runnable check) {
    return assertThrows(InvalidAnswer.class, check::run).getMessage();
  }

  @Test
  void aVerdictMustBeKnownWithReasonsAndARiskFromZeroToOne() {
    JsonObject ok = Answers.checkAction(verdict("flag", new JsonArray().add("reported"), 0.4).put("extra", 1));
    assertEquals(verdict("flag", new JsonArray().add("reported"), 0.4), ok, "unknown fields are dropped");
    assertTrue(problem(() -> Answers.checkAction(verdict("maybe", new JsonArray(), 0))).startsWith("verdict"));
    assertTrue(problem(() -> Answers.checkAction(verdict("allow", "none", 0))).startsWith("reasons"));
    assertTrue(problem(() -> Answers.checkAction(verdict("allow", new JsonArray().add(3), 0))).startsWith("reasons"));
    assertTrue(problem(() -> Answers.checkAction(verdict("allow", new JsonArray().add("x".repeat(201)), 0)))
        .startsWith("reasons"));
    assertTrue(problem(() -> Answers.checkAction(verdict("block", new JsonArray(), 1.01))).startsWith("risk_score"));
    assertTrue(problem(() -> Answers.checkAction(verdict("block", new JsonArray(), -0.1))).startsWith("risk_score"));
    assertTrue(problem(() -> Answers.checkAction(verdict("block", new JsonArray(), "0.5"))).startsWith("risk_score"));
  }

  @Test
  void theCopyIsFourBoundedStrings() {
    assertEquals(copy("x".repeat(120)), Answers.personalize(copy("x".repeat(120)).put("html", "<b>")));
    assertTrue(problem(() -> Answers.personalize(copy("x".repeat(121)))).startsWith("headline"));
    assertTrue(problem(() -> Answers.personalize(copy("h").put("body", "b".repeat(501)))).startsWith("body"));
    assertTrue(problem(() -> Answers.personalize(copy("h").put("cta", "c".repeat(41)))).startsWith("cta"));
    assertTrue(problem(() -> Answers.personalize(copy("h").put("share_copy", "s".repeat(281)))).startsWith("share_copy"));
    assertTrue(problem(() -> Answers.personalize(copy("h").putNull("cta"))).startsWith("cta"));
  }

  @Test
  void aRewardIsNullOrATypeAWholeAmountAndAnExpiry() {
    assertEquals(new JsonObject().putNull("reward"), Answers.offerReward(new JsonObject().putNull("reward")));
    JsonObject xp = new JsonObject().put("type", "xp").put("amount", 50).putNull("expires_in_days");
    assertEquals(new JsonObject().put("reward", xp), Answers.offerReward(new JsonObject().put("reward", xp)));
    assertTrue(problem(() -> Answers.offerReward(new JsonObject())).startsWith("reward is required"));
    assertTrue(problem(() -> Answers.offerReward(new JsonObject().put("reward", "xp"))).startsWith("reward must"));
    assertTrue(problem(() -> Answers.offerReward(new JsonObject().put("reward", xp.copy().put("type", "X P"))))
        .startsWith("reward.type"));
    assertTrue(problem(() -> Answers.offerReward(new JsonObject().put("reward", xp.copy().put("amount", 0))))
        .startsWith("reward.amount"));
    assertTrue(problem(() -> Answers.offerReward(new JsonObject().put("reward", xp.copy().put("amount", 1.5))))
        .startsWith("reward.amount"));
    assertTrue(problem(() -> Answers.offerReward(new JsonObject().put("reward", xp.copy().put("expires_in_days", 0))))
        .startsWith("reward.expires_in_days"));
  }
}
