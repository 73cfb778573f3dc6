package viralengine.dashboard;

import io.vertx.core.Vertx;
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
 * The dashboard's agents panel in a real browser: a failing remote personalization agent shows its fallbacks and its
 * open breaker, while the healthy trust_safety agent's stays closed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentsPanelBrowserTest {
  @BeforeAll
  static void startBrowser() {
    DashboardBrowserTest.browser = Browser.start();
  }

  @AfterAll
  static void stopBrowser() {
    DashboardBrowserTest.browser.close();
  }

  static String cell(String agent, String kind) {
    List<WebElement> rows = DashboardBrowserTest.browser.driver.findElements(
        By.cssSelector("#agents tr[data-agent='" + agent + "']"));
    return rows.isEmpty() ? "" : rows.get(0).findElement(By.cssSelector("td[data-kind='" + kind + "']"))
        .getDomAttribute("data-value");
  }

  @Test
  void eachAgentShowsItsCallsFallbacksAndBreaker() {
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
          eventually(() -> "open".equals(cell("personalization", "breaker"))
                  && Integer.parseInt("0" + cell("personalization", "fallbacks")) >= 10
                  && "closed".equals(cell("trust_safety", "breaker"))
                  && "0".equals(cell("trust_safety", "fallbacks"))
                  && Integer.parseInt("0" + cell("trust_safety", "calls")) >= 12,
              () -> "personalization breaker=" + cell("personalization", "breaker") + " fallbacks="
                  + cell("personalization", "fallbacks") + "; trust_safety breaker=" + cell("trust_safety", "breaker")
                  + " calls=" + cell("trust_safety", "calls") + " fallbacks=" + cell("trust_safety", "fallbacks"));
        } finally {
          svc.resetData();
        }
      }
    } finally {
      TestService.await(remote.close());
    }
  }
}
