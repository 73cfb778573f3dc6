package viralengine.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.admin.AdminFixtures.error;
import static viralengine.admin.AdminFixtures.streakShare;

/** Every bad write is -32602 whose data.field names the path of the bad value, and nothing is written. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminValidationTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start();
  }

  @AfterAll
  static void stop() {
    AdminFixtures.restoreSeeds(svc);
    svc.close();
  }

  @BeforeEach
  void reset() {
    AdminFixtures.restoreSeeds(svc);
  }

  static Arguments loop(String path, UnaryOperator<JsonObject> edit) {
    return Arguments.of(path, edit);
  }

  static Stream<Arguments> badLoops() {
    return Stream.of(
        loop("loop.colour", l -> l.put("colour", "blue")),
        loop("loop.targeting.context.score.$regex", l -> l.put("targeting",
            new JsonObject().put("context.score", new JsonObject().put("$regex", "^9")))),
        loop("loop.targeting.$or[1]", l -> l.put("targeting", new JsonObject().put("$or",
            new JsonArray().add(new JsonObject().put("learner.persona", "student")).add("parent")))),
        loop("loop.targeting.country", l -> l.put("targeting", new JsonObject().put("country", "US"))),
        loop("loop.triggers[1]", l -> l.put("triggers", new JsonArray().add("practice_completed").add("lesson_started"))),
        loop("loop.triggers[1]", l -> l.put("triggers", new JsonArray().add("session_ended").add("session_ended"))),
        loop("loop.triggers", l -> l.put("triggers", "practice_completed")),
        loop("loop.triggers", l -> {
          l.remove("triggers");
          return l;
        }),
        loop("loop.name", l -> l.put("name", "Streak Share")),
        loop("loop.display_name", l -> l.put("display_name", "")),
        loop("loop.display_name", l -> l.put("display_name", "x".repeat(101))),
        loop("loop.description", l -> l.put("description", "bell\u0007")),
        loop("loop.priority", l -> l.put("priority", 1.5)),
        loop("loop.priority", l -> l.put("priority", "high")),
        loop("loop.expected_k", l -> l.put("expected_k", -0.1)),
        loop("loop.active", l -> l.put("active", "yes")),
        loop("loop.cooldown_seconds", l -> l.put("cooldown_seconds", -1)),
        loop("loop.dismiss_cooldown_seconds", l -> l.put("dismiss_cooldown_seconds", 1e12)),
        loop("loop.groups[1]", l -> l.put("groups", new JsonArray().add("social").add("Parents!"))),
        loop("loop.audience.country", l -> l.put("audience", new JsonObject().put("country", "US"))),
        loop("loop.audience.personas[0]", l -> l.put("audience", new JsonObject().put("personas", new JsonArray().add("teacher")))),
        loop("loop.audience.max_age", l -> l.put("audience", new JsonObject().put("min_age", 12).put("max_age", 8))),
        loop("loop.audience.requires_parental_consent", l -> l.put("audience", new JsonObject().put("requires_parental_consent", 1))),
        loop("loop.action", l -> {
          l.remove("action");
          return l;
        }),
        loop("loop.action.type", l -> l.put("action", new JsonObject().put("headline", "Hi"))),
        loop("loop.action", l -> l.put("action", new JsonObject().put("type", "show_share_modal").put("body", "x".repeat(9_000)))),
        loop("loop.version", l -> l.put("version", 3)),
        loop("loop.variants", l -> l.put("variants", new JsonObject())),
        loop("loop.variants", l -> l.put("variants", manyVariants(17))),
        loop("loop.variants[1].key", l -> l.put("variants", new JsonArray().add(variant("a", 1)).add(variant("a", 2)))),
        loop("loop.variants[1].weight", l -> l.put("variants", new JsonArray().add(variant("a", 1)).add(variant("b", 0)))),
        loop("loop.variants[0].weight", l -> l.put("variants", new JsonArray().add(variant("a", -1)))),
        loop("loop.variants[0].weight", l -> l.put("variants", new JsonArray().add(variant("a", 1).put("weight", "1")))),
        loop("loop.variants[0].weight", l -> l.put("variants", new JsonArray().add(variant("a", 1).putNull("weight")))),
        loop("loop.variants[0].key", l -> l.put("variants", new JsonArray().add(variant("Long Copy", 1)))),
        loop("loop.variants[0].action", l -> l.put("variants", new JsonArray().add(variant("a", 1).put("action", "modal")))),
        loop("loop.variants[0].action.type", l -> l.put("variants", new JsonArray().add(variant("a", 1)
            .put("action", new JsonObject().put("headline", "Hi"))))),
        loop("loop.variants[0].colour", l -> l.put("variants", new JsonArray().add(variant("a", 1).put("colour", "red")))),
        loop("loop.variants[0]", l -> l.put("variants", new JsonArray().add("a"))),
        loop("loop", l -> null));
  }

  static JsonObject variant(String key, double weight) {
    return new JsonObject().put("key", key).put("weight", weight)
        .put("action", new JsonObject().put("type", "show_share_modal").put("headline", key));
  }

  static JsonArray manyVariants(int n) {
    JsonArray all = new JsonArray();
    for (int i = 0; i < n; i++) {
      all.add(variant("v" + i, 1));
    }
    return all;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badLoops")
  void aBadLoopIsInvalidParamsNamingThePath(String path, UnaryOperator<JsonObject> edit) {
    JsonObject loop = edit.apply(streakShare());
    JsonObject err = error(svc, "upsert_loop", new JsonObject().put("loop", loop == null ? "streak_share" : loop));
    assertEquals(-32602, err.getInteger("code"), err.encode());
    assertEquals(path, err.getJsonObject("data").getString("field"), err.encode());
    assertTrue(err.getString("message").contains(path), err.getString("message"));
    assertEquals(0, svc.count("SELECT count(*) FROM config_changes"));
    assertEquals(0, svc.count("SELECT count(*) FROM viral_loops WHERE name = 'streak_share'"));
  }

  static Stream<Arguments> badRules() {
    JsonObject good = new JsonObject().put("id", "social_daily").put("scope", "group").put("scope_key", "social")
        .put("max_count", 1).put("period", "calendar_day");
    return Stream.of(
        Arguments.of("rule.max_count", good.copy().put("max_count", 0)),
        Arguments.of("rule.max_count", good.copy().put("max_count", -2)),
        Arguments.of("rule.max_count", good.copy().put("max_count", 2.5)),
        Arguments.of("rule.period", good.copy().put("period", "calendar_month")),
        Arguments.of("rule.period", good.copy().put("period", new JsonObject().put("rolling_days", 2))),
        Arguments.of("rule.period.rolling_seconds", good.copy().put("period", new JsonObject().put("rolling_seconds", 0))),
        Arguments.of("rule.scope", good.copy().put("scope", "user")),
        Arguments.of("rule.scope_key", good.copy().putNull("scope_key")),
        Arguments.of("rule.scope_key", good.copy().put("scope", "global")),
        Arguments.of("rule.scope_key", good.copy().put("scope", "loop").put("scope_key", "no_such_loop")),
        Arguments.of("rule.id", good.copy().put("id", "")),
        Arguments.of("rule.window", good.copy().put("window", 3)));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("badRules")
  void aBadRuleIsInvalidParamsNamingThePath(String path, JsonObject rule) {
    JsonObject err = error(svc, "upsert_frequency_rule", new JsonObject().put("rule", rule));
    assertEquals(-32602, err.getInteger("code"), err.encode());
    assertEquals(path, err.getJsonObject("data").getString("field"), err.encode());
    assertEquals(0, svc.count("SELECT count(*) FROM config_changes"));
    assertEquals(1, svc.count("SELECT count(*) FROM frequency_rules"));
  }

  static Stream<Arguments> badParams() {
    return Stream.of(
        Arguments.of("list_loops", new JsonObject().put("active", true), "active"),
        Arguments.of("get_loop", new JsonObject(), "name"),
        Arguments.of("get_loop", new JsonObject().put("loop_name", "buddy_challenge"), "loop_name"),
        Arguments.of("upsert_loop", new JsonObject(), "loop"),
        Arguments.of("upsert_loop", new JsonObject().put("loop", streakShare()).put("expected_version", -1), "expected_version"),
        Arguments.of("upsert_loop", new JsonObject().put("loop", streakShare()).put("expected_version", "1"), "expected_version"),
        Arguments.of("set_loop_active", new JsonObject().put("name", "buddy_challenge"), "active"),
        Arguments.of("set_loop_active", new JsonObject().put("name", "buddy_challenge").put("active", "true"), "active"),
        Arguments.of("delete_frequency_rule", new JsonObject().put("id", 7), "id"),
        Arguments.of("list_changes", new JsonObject().put("limit", "ten"), "limit"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badParams")
  void badParamsAreInvalidParamsNamingTheParam(String method, JsonObject params, String field) {
    JsonObject err = error(svc, method, params);
    assertEquals(-32602, err.getInteger("code"), err.encode());
    assertEquals(field, err.getJsonObject("data").getString("field"), err.encode());
  }

  @Test
  void paramsThatAreNotAnObjectAreRejectedBeforeTheAgent() {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "get_loop")
        .put("params", new JsonArray().add("buddy_challenge"));
    JsonObject err = svc.post("/mcp/admin", request).bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32602, err.getInteger("code"));
  }
}
