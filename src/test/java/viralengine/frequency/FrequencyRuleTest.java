package viralengine.frequency;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which loops a rule limits, by scope. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FrequencyRuleTest {
  static FrequencyRule rule(FrequencyRule.Scope scope, String key) {
    return new FrequencyRule("r1", scope, key, 3, Period.CalendarDay.INSTANCE);
  }

  @Test
  void aGlobalRuleLimitsEveryLoop() {
    FrequencyRule global = rule(FrequencyRule.Scope.GLOBAL, null);
    assertTrue(global.appliesTo("buddy_challenge", List.of()));
    assertTrue(global.appliesTo("proud_parent", List.of("parent")));
  }

  @Test
  void aGroupRuleLimitsOnlyLoopsInThatGroup() {
    FrequencyRule social = rule(FrequencyRule.Scope.GROUP, "social");
    assertTrue(social.appliesTo("buddy_challenge", List.of("social")));
    assertTrue(social.appliesTo("results_rally", List.of("parent", "social")));
    assertFalse(social.appliesTo("proud_parent", List.of("parent")));
    assertFalse(social.appliesTo("social", List.of()), "a loop named like the group is not in it");
  }

  @Test
  void aLoopRuleLimitsOnlyThatLoop() {
    FrequencyRule loop = rule(FrequencyRule.Scope.LOOP, "buddy_challenge");
    assertTrue(loop.appliesTo("buddy_challenge", List.of("social")));
    assertFalse(loop.appliesTo("results_rally", List.of("buddy_challenge")), "a group named like the loop is not it");
  }

  @Test
  void scopesHaveLowerCaseWireNames() {
    assertEquals("global", FrequencyRule.Scope.GLOBAL.wireName());
    assertEquals("group", FrequencyRule.Scope.GROUP.wireName());
    assertEquals("loop", FrequencyRule.Scope.LOOP.wireName());
  }
}
