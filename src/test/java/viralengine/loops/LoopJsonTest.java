package viralengine.loops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.frequency.FrequencyRule;
import viralengine.frequency.Period;
import viralengine.rpc.RpcException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON form of loops and rules: defaults, round trips, and the paths named by errors. */
class LoopJsonTest {
  static JsonObject minimal() {
    return new JsonObject().put("name", "mini").put("display_name", "Mini").put("triggers", new JsonArray())
        .put("action", new JsonObject().put("type", "show_banner"));
  }

  @Test
  void omittedFieldsTakeTheirDefaults() {
    Loop loop = LoopJson.parse(minimal(), "loop");
    assertFalse(loop.active());
    assertEquals("", loop.description());
    assertEquals(0, loop.priority());
    assertEquals(0.0, loop.expectedK());
    assertEquals(Loop.Audience.ANYONE, loop.audience());
    assertTrue(loop.targeting().matches(new JsonObject()));
    assertTrue(loop.triggeredBy("session_ended"), "no triggers means any event");
    assertEquals(0, loop.cooldownSeconds());
  }

  @Test
  void toJsonThenFromStoredGivesTheSameLoop() {
    JsonObject json = minimal().put("groups", new JsonArray().add("social")).put("priority", -5).put("expected_k", 1.5)
        .put("audience", new JsonObject().put("min_age", 13).put("max_age", 17).put("personas", new JsonArray().add("student"))
            .put("requires_parental_consent", false))
        .put("targeting", new JsonObject().put("learner.attributes.cohort_size", new JsonObject().put("$gt", 3)))
        .put("cooldown_seconds", 60).put("dismiss_cooldown_seconds", 120).put("active", true);
    JsonObject out = LoopJson.toJson(LoopJson.parse(json, "loop"));
    Loop stored = LoopJson.fromStored(out.copy().put("id", 9).put("version", 4));
    assertEquals(9, stored.id());
    assertEquals(4, stored.version());
    assertEquals(out.copy().put("version", 4), LoopJson.toJson(stored));
    assertEquals(13, stored.audience().minAge());
    assertNull(LoopJson.parse(minimal(), "loop").audience().maxAge());
  }

  @Test
  void aNestedTargetingErrorIsPrefixedWithItsPath() {
    JsonObject json = minimal().put("targeting", new JsonObject().put("$and", new JsonArray()
        .add(new JsonObject().put("context.score", new JsonObject().put("$gte", 0.5)))
        .add(new JsonObject().put("context.score", new JsonObject().put("$between", new JsonArray())))));
    RpcException e = assertThrows(RpcException.class, () -> LoopJson.parse(json, "loop"));
    assertEquals("loop.targeting.$and[1].context.score.$between", e.data().getString("field"),
        "the full place of a nested error, not just its innermost key");
  }

  @Test
  void rulesRoundTripForEveryPeriod() {
    for (Object period : new Object[] {"calendar_day", "calendar_week", "lifetime", new JsonObject().put("rolling_seconds", 90)}) {
      JsonObject json = new JsonObject().put("id", "r1").put("scope", "loop").put("scope_key", "mini").put("max_count", 2)
          .put("period", period);
      FrequencyRule rule = RuleJson.parse(json, "rule");
      assertEquals(json, RuleJson.toJson(rule));
    }
    assertEquals(Period.CalendarWeek.INSTANCE, RuleJson.parse(new JsonObject().put("id", "w").put("scope", "global")
        .put("max_count", 1).put("period", "calendar_week"), "rule").period());
  }
}
