package viralengine.mcp;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MCP with auth on: every decide token sees list_loops; only a token with scope admin sees and runs the admin tools. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class McpAdminToolsTest {
  static final String DECIDE = "decide-token-0123456789";
  static final String ADMIN = "admin-token-0123456789ab";
  static TestService svc;
  static McpHttp mcp;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "app:decide:" + DECIDE + ",growth:admin+decide:" + ADMIN));
    mcp = new McpHttp(svc);
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static JsonObject legacy(String token, JsonObject message) {
    return mcp.post(message, MultiMap.caseInsensitiveMultiMap().add("MCP-Protocol-Version", "2025-11-25")
        .add("authorization", "Bearer " + token)).bodyAsJsonObject().getJsonObject("result");
  }

  static List<String> tools(String token) {
    return legacy(token, McpHttp.request(1, "tools/list", new JsonObject())).getJsonArray("tools").stream()
        .map(t -> ((JsonObject) t).getString("name")).toList();
  }

  @Test
  void aDecideTokenSeesListLoopsButNoAdminWriteTools() {
    assertEquals(McpHttp.DECIDE_TOOLS, tools(DECIDE));
    JsonObject listed = legacy(DECIDE, McpHttp.request(2, "tools/call", McpHttp.toolCall("list_loops", new JsonObject())));
    assertEquals(false, listed.getBoolean("isError"), listed.encode());
    List<String> loops = listed.getJsonObject("structuredContent").getJsonArray("loops").stream()
        .map(l -> ((JsonObject) l).getString("name")).toList();
    assertTrue(loops.containsAll(List.of("buddy_challenge", "results_rally", "proud_parent", "tutor_spotlight")),
        "the seed loops are listed: " + loops);
    JsonObject refused = legacy(DECIDE, McpHttp.request(3, "tools/call", McpHttp.toolCall("set_loop_active",
        new JsonObject().put("name", "buddy_challenge").put("active", true))));
    assertEquals(true, refused.getBoolean("isError"));
    String text = refused.getJsonArray("content").getJsonObject(0).getString("text");
    assertTrue(text.contains("-32007") && text.contains("admin"), text);
    assertEquals(0, svc.count("SELECT count(*) FROM viral_loops WHERE active"), "nothing was changed");
  }

  @Test
  void anAdminTokenSeesAndRunsTheAdminToolsAsItsName() {
    assertEquals(McpHttp.ALL_TOOLS, tools(ADMIN));
    JsonObject done = legacy(ADMIN, McpHttp.request(4, "tools/call", McpHttp.toolCall("upsert_frequency_rule",
        new JsonObject().put("rule", new JsonObject().put("id", "mcp_weekly").put("scope", "global").putNull("scope_key")
            .put("max_count", 5).put("period", "calendar_week")))));
    assertEquals(false, done.getBoolean("isError"), done.encode());
    assertEquals("growth", svc.query("SELECT actor FROM config_changes WHERE key = 'mcp_weekly'").iterator().next()
        .getString("actor"), "the audit trail names the token");
    svc.query("DELETE FROM frequency_rules WHERE id = 'mcp_weekly'");
  }
}
