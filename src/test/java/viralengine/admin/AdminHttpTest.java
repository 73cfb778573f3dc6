package viralengine.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.admin.AdminFixtures.call;
import static viralengine.admin.AdminFixtures.error;
import static viralengine.admin.AdminFixtures.ok;
import static viralengine.admin.AdminFixtures.streakShare;

/** The admin agent over real HTTP and PostgreSQL: every method, versions, not-found, the audit trail. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminHttpTest {
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

  static long audits() {
    return svc.count("SELECT count(*) FROM config_changes");
  }

  @Test
  void listLoopsAnswersTheFourSeedsInactiveHighestPriorityFirst() {
    JsonObject result = ok(svc, "list_loops", new JsonObject());
    List<String> names = result.getJsonArray("loops").stream().map(l -> ((JsonObject) l).getString("name")).toList();
    assertEquals(List.of("buddy_challenge", "results_rally", "proud_parent", "tutor_spotlight"), names);
    for (Object l : result.getJsonArray("loops")) {
      JsonObject loop = (JsonObject) l;
      assertFalse(loop.getBoolean("active"), loop.getString("name"));
      assertEquals(1L, loop.getLong("version"));
      assertEquals("show_share_modal", loop.getJsonObject("action").getString("type"));
      assertFalse(loop.getString("display_name").isEmpty());
    }
    assertEquals(0L, result.getLong("config_version"));
  }

  @Test
  void theSeedsCarryTheirAudiences() {
    JsonObject parent = ok(svc, "get_loop", new JsonObject().put("name", "proud_parent")).getJsonObject("loop");
    assertEquals(new JsonArray().add("parent"), parent.getJsonObject("audience").getJsonArray("personas"));
    JsonObject rally = ok(svc, "get_loop", new JsonObject().put("name", "results_rally")).getJsonObject("loop");
    assertTrue(rally.getJsonObject("audience").getBoolean("requires_parental_consent"));
    assertEquals(new JsonArray().add("student"), rally.getJsonObject("audience").getJsonArray("personas"));
  }

  @Test
  void getLoopOfAnUnknownNameIsNotFound() {
    JsonObject err = error(svc, "get_loop", new JsonObject().put("name", "no_such_loop"));
    assertEquals(-32006, err.getInteger("code"));
    assertEquals("no_such_loop", err.getJsonObject("data").getString("name"));
  }

  @Test
  void upsertLoopCreatesALoopAtVersionOneAndAuditsWhoWhenAndAfter() {
    Instant before = Instant.now().minusSeconds(1);
    JsonObject result = ok(svc, "upsert_loop", new JsonObject().put("loop", streakShare()));
    assertTrue(result.getBoolean("created"));
    assertEquals(1L, result.getJsonObject("loop").getLong("version"));
    assertEquals(streakShare().put("active", false).put("variants", new JsonArray()).put("guardrails", new JsonArray()).put("version", 1), result.getJsonObject("loop"));

    JsonObject change = ok(svc, "list_changes", new JsonObject()).getJsonArray("changes").getJsonObject(0);
    assertEquals("anonymous", change.getString("actor"));
    assertEquals("loop", change.getString("entity"));
    assertEquals("streak_share", change.getString("key"));
    assertEquals("create", change.getString("action"));
    assertNull(change.getValue("before"));
    assertEquals(result.getJsonObject("loop"), change.getJsonObject("after"));
    Instant at = Instant.parse(change.getString("changed_at"));
    assertTrue(!at.isBefore(before) && !at.isAfter(Instant.now().plusSeconds(1)), at.toString());
    assertEquals(change.getLong("id"), result.getLong("config_version"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_loops WHERE name = 'streak_share' AND version = 1"));
  }

  @Test
  void upsertLoopOverTheExpectedVersionReplacesItAndAuditsBeforeAndAfter() {
    JsonObject read = ok(svc, "get_loop", new JsonObject().put("name", "buddy_challenge")).getJsonObject("loop");
    JsonObject changed = read.copy();
    changed.remove("version");
    changed.put("priority", 45).put("targeting", new JsonObject().put("context.score", new JsonObject().put("$gte", 0.8)));
    JsonObject result = ok(svc, "upsert_loop", new JsonObject().put("loop", changed).put("expected_version", 1));
    assertFalse(result.getBoolean("created"));
    assertEquals(2L, result.getJsonObject("loop").getLong("version"));
    assertEquals(45, result.getJsonObject("loop").getInteger("priority"));

    Row row = svc.query("SELECT actor, action, before, after FROM config_changes").iterator().next();
    assertEquals("update", row.getString("action"));
    assertEquals(read, row.getValue("before"));
    assertEquals(result.getJsonObject("loop"), row.getValue("after"));
    assertEquals(2L, svc.count("SELECT version FROM viral_loops WHERE name = 'buddy_challenge'"));
  }

  @Test
  void aStaleExpectedVersionIsAVersionConflictAndWritesNothing() {
    JsonObject loop = streakShare();
    ok(svc, "upsert_loop", new JsonObject().put("loop", loop));
    ok(svc, "upsert_loop", new JsonObject().put("loop", loop.copy().put("priority", 60)).put("expected_version", 1));
    JsonObject err = error(svc, "upsert_loop", new JsonObject().put("loop", loop.copy().put("priority", 70)).put("expected_version", 1));
    assertEquals(-32005, err.getInteger("code"));
    assertEquals(new JsonObject().put("expected_version", 1).put("current_version", 2), err.getJsonObject("data"));
    assertEquals(60L, svc.count("SELECT priority FROM viral_loops WHERE name = 'streak_share'"));
    assertEquals(2, audits());
  }

  @Test
  void expectedVersionZeroCreatesOnlyAndANumberForAMissingLoopIsNotFound() {
    assertEquals(-32005, error(svc, "upsert_loop", new JsonObject()
        .put("loop", buddyWith("priority", 41)).put("expected_version", 0)).getInteger("code"));
    assertEquals(-32006, error(svc, "upsert_loop", new JsonObject()
        .put("loop", streakShare()).put("expected_version", 3)).getInteger("code"));
    assertTrue(ok(svc, "upsert_loop", new JsonObject().put("loop", streakShare()).put("expected_version", 0)).getBoolean("created"));
    assertEquals(1, audits());
  }

  @Test
  void anUpsertThatChangesNothingWritesNoVersionAndNoAuditRow() {
    ok(svc, "upsert_loop", new JsonObject().put("loop", streakShare()));
    JsonObject again = ok(svc, "upsert_loop", new JsonObject().put("loop", streakShare()));
    assertFalse(again.getBoolean("changed"));
    assertEquals(1L, again.getJsonObject("loop").getLong("version"));
    assertEquals(1, audits());
  }

  @Test
  void setLoopActiveTurnsALoopOnWithAnAuditRowAndIsIdempotent() {
    JsonObject result = ok(svc, "set_loop_active", new JsonObject().put("name", "results_rally").put("active", true)
        .put("expected_version", 1));
    assertTrue(result.getJsonObject("loop").getBoolean("active"));
    assertEquals(2L, result.getJsonObject("loop").getLong("version"));
    JsonObject change = ok(svc, "list_changes", new JsonObject()).getJsonArray("changes").getJsonObject(0);
    assertEquals("activate", change.getString("action"));
    assertFalse(change.getJsonObject("before").getBoolean("active"));
    assertTrue(change.getJsonObject("after").getBoolean("active"));

    assertFalse(ok(svc, "set_loop_active", new JsonObject().put("name", "results_rally").put("active", true)).getBoolean("changed"));
    assertEquals(1, audits());
    ok(svc, "set_loop_active", new JsonObject().put("name", "results_rally").put("active", false));
    assertEquals("deactivate", ok(svc, "list_changes", new JsonObject().put("limit", 1)).getJsonArray("changes")
        .getJsonObject(0).getString("action"));
  }

  @Test
  void setLoopActiveOnAMissingLoopIsNotFoundAndWithAStaleVersionAConflict() {
    assertEquals(-32006, error(svc, "set_loop_active", new JsonObject().put("name", "nope").put("active", true)).getInteger("code"));
    ok(svc, "set_loop_active", new JsonObject().put("name", "proud_parent").put("active", true));
    assertEquals(-32005, error(svc, "set_loop_active", new JsonObject().put("name", "proud_parent").put("active", false)
        .put("expected_version", 1)).getInteger("code"));
    assertTrue(svc.query("SELECT active FROM viral_loops WHERE name = 'proud_parent'").iterator().next().getBoolean(0));
  }

  @Test
  void frequencyRulesAreListedCreatedReplacedAndDeletedWithAuditRows() {
    JsonObject seed = new JsonObject().put("id", "global_daily").put("scope", "global").putNull("scope_key")
        .put("max_count", 3).put("period", "calendar_day");
    assertEquals(new JsonArray().add(seed), ok(svc, "list_frequency_rules", new JsonObject()).getJsonArray("rules"));

    JsonObject social = new JsonObject().put("id", "social_weekly").put("scope", "group").put("scope_key", "social")
        .put("max_count", 2).put("period", "calendar_week");
    assertTrue(ok(svc, "upsert_frequency_rule", new JsonObject().put("rule", social)).getBoolean("created"));
    JsonObject rolling = social.copy().put("period", new JsonObject().put("rolling_seconds", 3600));
    JsonObject replaced = ok(svc, "upsert_frequency_rule", new JsonObject().put("rule", rolling));
    assertFalse(replaced.getBoolean("created"));
    assertEquals(rolling, replaced.getJsonObject("rule"));
    JsonObject perLoop = new JsonObject().put("id", "buddy_lifetime").put("scope", "loop").put("scope_key", "buddy_challenge")
        .put("max_count", 5).put("period", "lifetime");
    ok(svc, "upsert_frequency_rule", new JsonObject().put("rule", perLoop));
    assertEquals(List.of("buddy_lifetime", "global_daily", "social_weekly"), ok(svc, "list_frequency_rules", new JsonObject())
        .getJsonArray("rules").stream().map(r -> ((JsonObject) r).getString("id")).toList());

    JsonObject deleted = ok(svc, "delete_frequency_rule", new JsonObject().put("id", "global_daily"));
    assertEquals(seed, deleted.getJsonObject("deleted"));
    assertEquals(-32006, error(svc, "delete_frequency_rule", new JsonObject().put("id", "global_daily")).getInteger("code"));

    JsonArray changes = ok(svc, "list_changes", new JsonObject()).getJsonArray("changes");
    assertEquals(List.of("delete", "create", "update", "create"),
        changes.stream().map(c -> ((JsonObject) c).getString("action")).toList());
    JsonObject update = changes.getJsonObject(2);
    assertEquals("frequency_rule", update.getString("entity"));
    assertEquals(social, update.getJsonObject("before"));
    assertEquals(rolling, update.getJsonObject("after"));
    assertEquals(seed, changes.getJsonObject(0).getJsonObject("before"));
    assertNull(changes.getJsonObject(0).getValue("after"));
  }

  @Test
  void listChangesIsNewestFirstAndBoundedByLimit() {
    for (int i = 0; i < 3; i++) {
      ok(svc, "set_loop_active", new JsonObject().put("name", "tutor_spotlight").put("active", i % 2 == 0));
    }
    JsonObject result = ok(svc, "list_changes", new JsonObject().put("limit", 2));
    JsonArray changes = result.getJsonArray("changes");
    assertEquals(2, changes.size());
    assertTrue(changes.getJsonObject(0).getLong("id") > changes.getJsonObject(1).getLong("id"));
    assertEquals(changes.getJsonObject(0).getLong("id"), result.getLong("config_version"));
    assertEquals("limit", error(svc, "list_changes", new JsonObject().put("limit", 0)).getJsonObject("data").getString("field"));
    assertEquals("limit", error(svc, "list_changes", new JsonObject().put("limit", 501)).getJsonObject("data").getString("field"));
  }

  @Test
  void aBatchOnTheAgentRouteAnswersEachEntry() {
    JsonArray batch = new JsonArray()
        .add(new JsonObject().put("jsonrpc", "2.0").put("id", "a").put("method", "list_frequency_rules"))
        .add(new JsonObject().put("jsonrpc", "2.0").put("id", "b").put("method", "get_loop").put("params", new JsonObject().put("name", "zzz")))
        .add(new JsonObject().put("jsonrpc", "2.0").put("method", "list_loops"));
    JsonArray answers = svc.post("/mcp/admin", batch).bodyAsJsonArray();
    assertEquals(2, answers.size());
    assertEquals("a", answers.getJsonObject(0).getString("id"));
    assertTrue(answers.getJsonObject(0).containsKey("result"));
    assertEquals(-32006, answers.getJsonObject(1).getJsonObject("error").getInteger("code"));
  }

  @Test
  void anUnknownMethodIsMethodNotFoundAndAPathMismatchAnInvalidRequest() {
    JsonObject unknown = svc.post("/mcp/admin", new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "delete_loop"))
        .bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32601, unknown.getInteger("code"));
    assertTrue(unknown.getJsonObject("data").getJsonArray("methods").contains("upsert_loop"));
    JsonObject mismatch = svc.post("/mcp/admin/list_loops", new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "list_changes"))
        .bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32600, mismatch.getInteger("code"));
  }

  @Test
  void theOrchestratorsRoutesAreUnchangedByTheAdminRoutes() {
    assertEquals(-32601, svc.rpc("list_loops", new JsonObject()).getJsonObject("error").getInteger("code"));
    assertEquals(404, svc.post("/mcp/nobody", new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "x")).statusCode());
  }

  static JsonObject buddyWith(String field, Object value) {
    JsonObject loop = ok(svc, "get_loop", new JsonObject().put("name", "buddy_challenge")).getJsonObject("loop");
    loop.remove("version");
    return loop.put(field, value);
  }

}
