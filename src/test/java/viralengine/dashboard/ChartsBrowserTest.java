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

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static viralengine.dashboard.DashboardBrowserTest.eventually;
import static viralengine.dashboard.DashboardBrowserTest.open;

/**
 * The dashboard's uPlot charts (decisions/s, p99 latency, outcomes per loop over the last hour) and its loop_report
 * panel, in Chromium, after real decisions and outcomes; uPlot comes from the JAR, not from a CDN.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChartsBrowserTest {
  @BeforeAll
  static void startBrowser() {
    DashboardBrowserTest.browser = Browser.start();
  }

  @AfterAll
  static void stopBrowser() {
    DashboardBrowserTest.browser.close();
  }

  static String points(String chart) {
    return DashboardBrowserTest.browser.driver.findElement(By.id(chart)).getDomAttribute("data-points");
  }

  static boolean drawn(String chart) {
    List<WebElement> canvas = DashboardBrowserTest.browser.driver.findElements(By.cssSelector("#" + chart + " canvas"));
    return !canvas.isEmpty() && canvas.get(0).getSize().getWidth() > 0 && Integer.parseInt(points(chart)) > 0;
  }

  static String reportCell(String loop, String kind) {
    List<WebElement> rows = DashboardBrowserTest.browser.driver.findElements(By.cssSelector("#report tr[data-loop='" + loop + "']"));
    return rows.isEmpty() ? "" : rows.get(0).findElement(By.cssSelector("td[data-kind='" + kind + "']")).getDomAttribute("data-value");
  }

  @Test
  void theChartsDrawRealDecisionsAndOutcomesAndTheReportPanelShowsTheLoops() {
    try (TestService svc = TestService.start(TestService.relaxedTiming())) {
      svc.resetData();
      assertEquals("text/javascript; charset=utf-8", svc.get("/dashboard/assets/uplot.min.js").getHeader("content-type"));
      io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> refused = svc.get("/dashboard/loop_report?from=soon");
      assertEquals(400, refused.statusCode());
      assertEquals("from", refused.bodyAsJsonObject().getJsonObject("error").getJsonObject("data").getString("field"));
      JsonObject loop = new JsonObject().put("name", "chart_loop").put("display_name", "Chart loop").put("active", true)
          .put("triggers", new JsonArray()).put("action", new JsonObject().put("type", "show_share_modal"));
      JsonObject written = svc.admin("upsert_loop", new JsonObject().put("loop", loop)).getJsonObject("result");
      assertNotNull(written);
      svc.awaitConfigVersion(written.getLong("config_version"));
      for (int i = 0; i < 3; i++) {
        JsonObject decision = svc.rpc("select_loop", new JsonObject().put("user_id", "chart-" + i)).getJsonObject("result");
        assertNotNull(decision);
        assertNotNull(svc.rpc("record_outcome", new JsonObject().put("decision_id", decision.getString("decision_id"))
            .put("outcome", "shown")).getJsonObject("result"));
      }
      reportFixture(svc);
      try {
        open(svc);
        for (String chart : List.of("chart-decisions", "chart-p99", "chart-outcomes")) {
          eventually(() -> drawn(chart), () -> chart + " points=" + points(chart));
        }
        eventually(() -> "1".equals(reportCell("buddy_challenge", "selections"))
            && "1".equals(reportCell("buddy_challenge", "joined")),
            () -> DashboardBrowserTest.browser.driver.findElement(By.id("report")).getText());
      } finally {
        svc.resetData();
        svc.query("DELETE FROM viral_loops WHERE name = 'chart_loop'");
      }
    }
  }

  /** A selection an hour ago with a shown, an invite and a join, as part A will log it (SQL, like LoopReportTest). */
  static void reportFixture(TestService svc) {
    long loop = svc.query("SELECT id FROM viral_loops WHERE name = 'buddy_challenge'").iterator().next().getLong(0);
    UUID id = UUID.randomUUID();
    svc.query("INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success,"
        + " created_at, user_id, event_type, outcome) VALUES ($1, 'orchestrator', 'select_loop', '{}', $2, 1, true, $3,"
        + " 'chart-report', 'practice_completed', 'selected')", id, loop, OffsetDateTime.now(ZoneOffset.UTC).minusHours(1));
    for (String kind : List.of("shown", "invite_sent", "joined")) {
      svc.query("INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params)"
          + " VALUES ($1, $2, 'chart-report', $3, $4, now(), '{}')", UUID.randomUUID(), id, loop, kind);
    }
  }
}
