package viralengine.decision;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.learners.History;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.decision.DeciderTest.NOW;
import static viralengine.decision.DeciderTest.loop;
import static viralengine.decision.HoldoutTest.learner;

/** A loop's variants: weighted sticky assignment, the stored one first, and what the decision shows. */
class VariantsTest {
  static Loop.Variant variant(String key, double weight) {
    return new Loop.Variant(key, weight, new JsonObject().put("type", "show_share_modal").put("headline", key));
  }

  static Loop withVariants(Loop l, Loop.Variant... variants) {
    return new Loop(l.id(), l.name(), l.displayName(), l.description(), l.active(), l.triggers(), l.priority(),
        l.expectedK(), l.groups(), l.audience(), l.targetingDocument(), l.targeting(), l.cooldownSeconds(),
        l.dismissCooldownSeconds(), l.action(), List.of(variants), l.version());
  }

  static Map<String, Integer> shares(Loop loop, int learners) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < learners; i++) {
      counts.merge(Variants.pick(loop, "s", "learner-" + i, null).key(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void learnersAreSplitByWeight() {
    Loop loop = withVariants(loop(1, "buddy", 1), variant("short", 1), variant("long", 3));
    Map<String, Integer> counts = shares(loop, 20_000);
    assertEquals(20_000, counts.get("short") + counts.get("long"));
    assertTrue(Math.abs(counts.get("short") / 20_000.0 - 0.25) < 0.01, counts.toString());
    Loop three = withVariants(loop(1, "buddy", 1), variant("a", 0.5), variant("b", 0.25), variant("c", 0.25));
    Map<String, Integer> thirds = shares(three, 20_000);
    assertTrue(Math.abs(thirds.get("a") / 20_000.0 - 0.5) < 0.01, thirds.toString());
    assertTrue(Math.abs(thirds.get("b") / 20_000.0 - 0.25) < 0.01, thirds.toString());
  }

  @Test
  void theStoredVariantWinsWhileTheLoopStillHasIt() {
    Loop loop = withVariants(loop(1, "buddy", 1), variant("short", 1), variant("long", 1));
    for (int i = 0; i < 50; i++) {
      assertEquals("long", Variants.pick(loop, "s", "learner-" + i, "long").key());
      assertEquals("short", Variants.pick(loop, "s", "learner-" + i, "short").key());
    }
    String hashed = Variants.pick(loop, "s", "learner-7", null).key();
    assertEquals(hashed, Variants.pick(loop, "s", "learner-7", "removed_variant").key(), "a key the loop lost is ignored");
  }

  @Test
  void aLoopWithoutVariantsHasNone() {
    assertNull(Variants.pick(loop(1, "buddy", 1), "s", "u", null));
    assertNull(Variants.pick(loop(1, "buddy", 1), "s", "u", "short"));
  }

  @Test
  void aSingleVariantTakesEveryone() {
    Loop loop = withVariants(loop(1, "buddy", 1), variant("only", 0.001));
    assertEquals(Map.of("only", 1_000), shares(loop, 1_000));
  }

  @Test
  void theDecisionShowsTheVariantsActionAndNamesIt() {
    Loop loop = withVariants(loop(4, "buddy", 1), variant("short", 1), variant("long", 1));
    Experiment stored = new Experiment("s", 0, Map.of(4L, "long"));
    Evaluation eval = Decider.decide(new Catalog(List.of(loop), List.of(), 1),
        new Situation(learner("u"), "practice_completed", new JsonObject(), History.NONE, NOW, stored));
    assertEquals("long", eval.variant().key());
    assertEquals("long", eval.action().getString("headline"));
    assertEquals(new JsonObject().put("holdout", false).put("variants", new JsonObject().put("buddy", "long")),
        eval.features("practice_completed").getJsonObject("experiments"));
    Evaluation plain = Decider.decide(new Catalog(List.of(loop(4, "plain", 1)), List.of(), 1),
        new Situation(learner("u"), "practice_completed", new JsonObject(), History.NONE, NOW, stored));
    assertNull(plain.variant());
    assertEquals(plain.chosen().action(), plain.action());
  }

  @Test
  void aHeldOutOrUnselectedLearnerIsShownNoVariant() {
    Loop loop = withVariants(loop(4, "buddy", 1), variant("short", 1));
    Evaluation held = Decider.decide(new Catalog(List.of(loop), List.of(), 1),
        new Situation(learner("u"), "practice_completed", new JsonObject(), History.NONE, NOW, new Experiment("s", 100, Map.of())));
    assertEquals(Evaluation.Outcome.HOLDOUT, held.outcome());
    assertNull(held.variant());
    assertNull(held.action());
    Evaluation none = Decider.decide(new Catalog(List.of(loop), List.of(), 1),
        new Situation(learner("u"), "session_ended", new JsonObject(), History.NONE, NOW, Experiment.NONE));
    assertNull(none.variant());
    assertNull(none.action());
  }

  @Test
  void aBucketFallsOnTheWeightsLaidEndToEnd() {
    Loop even = withVariants(loop(1, "buddy", 1), variant("first", 1), variant("second", 1));
    assertEquals(5000, Buckets.of("s", "variant:buddy", "u6384"));
    assertEquals("second", Variants.pick(even, "s", "u6384", null).key(), "bucket 5000 starts the second half");
    assertEquals("first", Variants.pick(even, "s", "u6770", null).key(), "bucket 499");
    // Bucket 0's point is 1 of 20,000 here, exactly where the first variant ends: it belongs to the second.
    Loop tiny = withVariants(loop(1, "buddy", 1), variant("first", 1), variant("second", 19_999));
    assertEquals(0, Buckets.of("s", "variant:buddy", "u3330"));
    assertEquals("second", Variants.pick(tiny, "s", "u3330", null).key());
  }
}
