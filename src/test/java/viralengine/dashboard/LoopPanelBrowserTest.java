package viralengine.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static viralengine.dashboard.DashboardBrowserTest.eventually;
import static viralengine.dashboard.DashboardBrowserTest.open;

/** The dashboard's per-loop panel and recent changes, in a real browser, fed by real decisions and outcomes. */
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
}
