package viralengine.decision;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.learners.History;
import viralengine.learners.Learner;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.decision.DeciderTest.LA;
import static viralengine.decision.DeciderTest.NOW;
import static viralengine.decision.DeciderTest.loop;

/** The holdout: a sticky salted-hash share of learners, and what a decision answers for one of them. */
class HoldoutTest {
  static final Experiment FIVE = new Experiment("salt-a", 5, java.util.Map.of());

  static Learner learner(String id) {
    return new Learner(id, LA, 2000, "student", "unknown", false, new JsonObject());
  }

  static Evaluation decide(List<Loop> loops, Learner learner, Experiment experiment) {
    return Decider.decide(new Catalog(loops, List.of(), 3), new Situation(learner, "practice_completed", new JsonObject(),
        History.NONE, NOW, experiment));
  }

  /** The first of user-0, user-1, ... whose holdout assignment is {@code heldOut}. */
  static String userWhoIs(boolean heldOut, Experiment experiment) {
    for (int i = 0; ; i++) {
      if (Buckets.heldOut(experiment.salt(), experiment.holdoutPercent(), "user-" + i) == heldOut) {
        return "user-" + i;
      }
    }
  }

  @Test
  void theShareHeldOutIsWithinOnePointOfTheSettingOverTwentyThousandLearners() {
    for (int percent : new int[] {5, 20, 50}) {
      int held = 0;
      for (int i = 0; i < 20_000; i++) {
        if (Buckets.heldOut("salt-a", percent, "learner-" + i)) {
          held++;
        }
      }
      double share = held * 100.0 / 20_000;
      assertTrue(Math.abs(share - percent) <= 1.0, percent + "% set, " + share + "% held out");
    }
  }

  @Test
  void theAssignmentDependsOnlyOnSaltAndUserSoItSurvivesARestart() {
    int moved = 0;
    for (int i = 0; i < 1_000; i++) {
      String id = "learner-" + i;
      assertEquals(Buckets.of("salt-a", "holdout", id), Buckets.of("salt-a", "holdout", id));
      if (Buckets.of("salt-a", "holdout", id) != Buckets.of("salt-b", "holdout", id)) {
        moved++;
      }
    }
    assertTrue(moved > 990, "a new salt reshuffles nearly everyone: " + moved);
    // A known value pins the hash itself, so a change of algorithm or layout (which would reassign every learner
    // after an upgrade) fails here rather than in production.
    assertEquals(Buckets.of("viral-engine", "holdout", "learner-42"), bucketByHand("viral-engine\0holdout\0learner-42"));
  }

  @Test
  void bucketsCoverTheWholeRangeAndUnitsAreIndependent() {
    int low = Buckets.SIZE;
    int high = -1;
    int same = 0;
    for (int i = 0; i < 20_000; i++) {
      int bucket = Buckets.of("s", "holdout", "u" + i);
      low = Math.min(low, bucket);
      high = Math.max(high, bucket);
      if (bucket == Buckets.of("s", "variant:buddy", "u" + i)) {
        same++;
      }
    }
    assertTrue(low < 10 && high > Buckets.SIZE - 10, low + ".." + high);
    assertTrue(same < 20, "the holdout and a loop's variants draw different buckets: " + same);
  }

  @Test
  void noneAndAllAreExact() {
    assertFalse(Buckets.heldOut("s", 0, "anyone"));
    for (int i = 0; i < 1_000; i++) {
      assertTrue(Buckets.heldOut("s", 100, "u" + i));
    }
  }

  @Test
  void aHeldOutLearnerGetsNoLoopAndTheCounterfactualIsKept() {
    Learner held = learner(userWhoIs(true, FIVE));
    Evaluation eval = decide(List.of(loop(1, "buddy", 5), loop(2, "rally", 1)), held, FIVE);
    assertEquals(Evaluation.Outcome.HOLDOUT, eval.outcome());
    assertEquals("holdout", eval.outcome().code());
    assertTrue(eval.heldOut());
    assertNull(eval.shown());
    assertEquals("buddy", eval.chosen().name(), "the loop that would have been selected");
    assertEquals(List.of("buddy", "rally"), eval.eligible().stream().map(Loop::name).toList());
    assertEquals("Held out: the learner is in the 5% holdout; would have selected buddy for practice_completed:"
        + " highest-priority eligible loop (priority 5), 2 of 2 loops eligible", eval.rationale());
    JsonObject experiments = eval.features("practice_completed").getJsonObject("experiments");
    assertEquals(new JsonObject().put("holdout", true).put("counterfactual", "buddy"), experiments);
  }

  @Test
  void aLearnerNotHeldOutIsShownTheLoop() {
    Learner in = learner(userWhoIs(false, FIVE));
    Evaluation eval = decide(List.of(loop(1, "buddy", 5)), in, FIVE);
    assertEquals(Evaluation.Outcome.SELECTED, eval.outcome());
    assertEquals("buddy", eval.shown().name());
    assertFalse(eval.heldOut());
    assertEquals(new JsonObject().put("holdout", false), eval.features("practice_completed").getJsonObject("experiments"));
  }

  @Test
  void whenNoLoopWouldBeSelectedAHeldOutLearnerIsDecidedForLikeAnyone() {
    Experiment all = new Experiment("s", 100, java.util.Map.of());
    Loop off = new Loop(1, "off", "off", "", false, List.of(), 1, 0, List.of(), Loop.Audience.ANYONE, new JsonObject(),
        viralengine.targeting.Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    Evaluation phase1 = decide(List.of(off), learner("x"), all);
    assertEquals(Evaluation.Outcome.NO_ELIGIBLE_LOOP, phase1.outcome());
    assertEquals(Decider.PHASE_1_RATIONALE, phase1.rationale());
    Loop elsewhere = new Loop(1, "rally", "rally", "", true, List.of("diagnostic_completed"), 1, 0, List.of(),
        Loop.Audience.ANYONE, new JsonObject(), viralengine.targeting.Condition.parse(new JsonObject()), 0, 0,
        new JsonObject(), 1);
    Evaluation none = decide(List.of(elsewhere), learner("x"), all);
    assertEquals(Evaluation.Outcome.NO_ELIGIBLE_LOOP, none.outcome());
    assertTrue(none.rationale().startsWith("No eligible loop"), none.rationale());
    Learner out = new Learner("x", LA, 2000, "student", "granted", true, new JsonObject());
    assertEquals(Evaluation.Outcome.OPTED_OUT, decide(List.of(loop(1, "buddy", 1)), out, all).outcome());
  }

  @Test
  void withoutAnExperimentNobodyIsHeldOut() {
    Evaluation eval = Decider.decide(new Catalog(List.of(loop(1, "buddy", 1)), List.of(), 1),
        new Situation(learner(userWhoIs(true, FIVE)), null, null, History.NONE, NOW));
    assertEquals(Evaluation.Outcome.SELECTED, eval.outcome());
  }

  @Test
  void theHoldoutIsTheBucketsBelowPercentTimesAHundred() {
    assertEquals(499, Buckets.of("s", "holdout", "u5765"));
    assertEquals(500, Buckets.of("s", "holdout", "u858"));
    assertTrue(Buckets.heldOut("s", 5, "u5765"), "bucket 499 of a 5% holdout");
    assertFalse(Buckets.heldOut("s", 5, "u858"), "bucket 500 is the first outside it");
  }

  @Test
  void anExperimentForADecisionKeepsItsSettingsAndTakesTheLearnersState() {
    java.util.random.RandomGenerator random = new java.util.SplittableRandom(1);
    Experiment base = new Experiment("s", 7, java.util.Map.of(), Strategy.THOMPSON, Posteriors.EMPTY, random);
    Posteriors snapshot = new Posteriors(java.util.Map.of(new Posteriors.Arm(1, "e"), new Posteriors.Stats(3, 1)));
    Experiment decision = base.forDecision(java.util.Map.of(1L, "short"), snapshot);
    assertEquals(new Experiment("s", 7, java.util.Map.of(1L, "short"), Strategy.THOMPSON, snapshot, random), decision);
  }

  private static int bucketByHand(String text) {
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return (int) (new java.math.BigInteger(1, java.util.Arrays.copyOf(h, 4)).longValue() % 10_000);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
