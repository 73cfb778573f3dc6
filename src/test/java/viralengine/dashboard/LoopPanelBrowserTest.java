package viralengine.dashboard;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import viralengine.support.FakeRemoteAgent;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static viralengine.dashboard.DashboardBrowserTest.eventually;
import static viralengine.dashboard.DashboardBrowserTest.open;

/**
 * The dashboard's per-loop panel, recent changes and agents panel, in a real browser, fed by real decisions and
 * outcomes (and a fake remote agent).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopPanelBrowserTest {
  @BeforeAll
  static void startBrowser() {
    DashboardBrowserTest.browser = Browser.start();
  }

  @AfterAll
  static void stopBrowser() {
    DashboardBrowserTest.browser.close();
  }

  static String cell(String loop, String kind) {
    List<WebElement> rows = DashboardBrowserTest.browser.driver.findElements(By.cssSelector("#loops tr[data-loop='" + loop + "']"));
    return rows.isEmpty() ? "" : rows.get(0).findElement(By.cssSelector("td[data-kind='" + kind + "']")).getDomAttribute("data-value");
  }

  @Test
  void theLoopPanelCountsSelectionsAndOutcomesAndTheChangesListNamesWhoChangedWhat() {
    // What the panel shows, not how fast: a cold JVM's first decisions may miss the 150 ms SLA on a busy machine.
    try (TestService svc = TestService.start(TestService.relaxedTiming())) {
      svc.resetData(); // no loop left active by another test class competes with this one
      JsonObject loop = new JsonObject().put("name", "panel_loop").put("display_name", "Panel loop").put("active", true)
          .put("triggers", new JsonArray()).put("action", new JsonObject().put("type", "show_share_modal"));
      JsonObject written = svc.admin("upsert_loop", new JsonObject().put("loop", loop)).getJsonObject("result");
      assertNotNull(written);
      svc.awaitConfigVersion(written.getLong("config_version"));
      JsonObject decision = svc.rpc("select_loop", new JsonObject().put("user_id", "panel-1")).getJsonObject("result");
      assertNotNull(decision);
      assertNotNull(svc.rpc("record_outcome", new JsonObject().put("decision_id", decision.getString("decision_id"))
          .put("outcome", "dismissed")).getJsonObject("result"));
      try {
        open(svc);
        eventually(() -> "1".equals(cell("panel_loop", "selected")) && "1".equals(cell("panel_loop", "dismissed")),
            () -> "selected=" + cell("panel_loop", "selected") + " dismissed=" + cell("panel_loop", "dismissed"));
        eventually(() -> DashboardBrowserTest.browser.driver.findElement(By.id("changes")).getText()
            .contains("loop panel_loop"), () -> DashboardBrowserTest.browser.driver.findElement(By.id("changes")).getText());
      } finally {
        svc.resetData();
        svc.query("DELETE FROM viral_loops WHERE name = 'panel_loop'");
      }
    }
  }

  static String agentCell(String agent, String kind) {
    List<WebElement> rows = DashboardBrowserTest.browser.driver.findElements(
        By.cssSelector("#agents tr[data-agent='" + agent + "']"));
    return rows.isEmpty() ? "" : rows.get(0).findElement(By.cssSelector("td[data-kind='" + kind + "']"))
        .getDomAttribute("data-value");
  }

  /** A failing remote personalization agent shows its fallbacks and its open breaker; trust_safety's stays closed. */
  @Test
  void theAgentsPanelShowsEachAgentsCallsFallbacksAndBreaker() {
    Vertx remote = Vertx.vertx();
    try (FakeRemoteAgent agent = FakeRemoteAgent.start(remote)) {
      agent.everyAgent(FakeRemoteAgent.Mode.OK);
      agent.mode("personalization", FakeRemoteAgent.Mode.FAILING);
      JsonObject agents = new JsonObject();
      for (String name : List.of("trust_safety", "personalization", "incentives")) {
        agents.put(name, new JsonObject().put("url", agent.baseUrl()).put("timeout_ms", 1_000));
      }
      try (TestService svc = TestService.start(TestService.relaxedTiming().put("agents", agents))) {
        svc.resetData();
        svc.query("UPDATE viral_loops SET active = true, cooldown_seconds = 0, triggers = '{}', targeting = '{}',"
            + " audience = '{\"requires_parental_consent\": false}' WHERE name = 'buddy_challenge'");
        TestService.await(svc.service.catalog().reload()); // a hand edit sends no NOTIFY
        try {
          for (int i = 0; i < 12; i++) {
            String user = "panel-agent-" + i;
            assertNotNull(svc.rpc("upsert_learner", new JsonObject().put("user_id", user).put("birth_year", 1990))
                .getJsonObject("result"));
            assertNotNull(svc.rpc("select_loop", new JsonObject().put("user_id", user)).getJsonObject("result"));
          }
          open(svc);
          eventually(() -> "open".equals(agentCell("personalization", "breaker"))
                  && Integer.parseInt("0" + agentCell("personalization", "fallbacks")) >= 10
                  && "closed".equals(agentCell("trust_safety", "breaker"))
                  && "0".equals(agentCell("trust_safety", "fallbacks"))
                  && Integer.parseInt("0" + agentCell("trust_safety", "calls")) >= 12,
              () -> "personalization breaker=" + agentCell("personalization", "breaker") + " fallbacks="
                  + agentCell("personalization", "fallbacks") + "; trust_safety breaker=" + agentCell("trust_safety", "breaker")
                  + " calls=" + agentCell("trust_safety", "calls") + " fallbacks=" + agentCell("trust_safety", "fallbacks"));
        } finally {
          svc.resetData();
        }
      }
    } finally {
      TestService.await(remote.close());
    }
  }
}
