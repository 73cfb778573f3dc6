package viralengine.dashboard;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ops/grafana/orchestrator.json} queries only series that the real service publishes: every
 * metric name in every PromQL expression, and every label it filters or groups by, is checked against a
 * real scrape of {@code /metrics} taken after real traffic. Renaming a metric or a label fails here.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrafanaDashboardTest {
  static final Path DASHBOARD = Path.of("ops", "grafana", "orchestrator.json");
  /** The series the dashboard must chart (exact Prometheus names). */
  static final List<String> REQUIRED = List.of(
      "viral_rpc_requests_seconds_bucket", "viral_rpc_requests_seconds_count", "viral_rpc_requests_seconds_sum",
      "viral_events_total", "viral_decisions_total", "viral_circuit_breaker_state", "viral_circuit_breaker_transitions_total",
      "viral_decision_log_pending", "viral_decision_log_batch_size_bucket", "viral_decision_log_batch_size_sum",
      "viral_decision_log_batch_size_count", "viral_decision_log_flush_seconds_bucket", "viral_spool_depth",
      "viral_idempotency_cache_total", "process_uptime_seconds", "vertx_http_server_requests_total",
      "vertx_http_server_active_connections", "vertx_pool_in_use", "vertx_eventbus_handlers",
      "viral_k_factor", "viral_k_factor_alert_threshold", "viral_holdout_lift", "viral_spool_active");
  /** Labels Prometheus adds when it scrapes; they are never in the exposition itself. */
  static final Set<String> TARGET_LABELS = Set.of("job", "instance");
  static final Set<String> PROMQL_WORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
      "ignoring", "group_left", "group_right", "inf", "nan", "atan2");

  static JsonObject dashboard;
  /** Series name to the label names it carries in the scrape. */
  static Map<String, Set<String>> scraped;

  @BeforeAll
  static void scrapeAfterRealTraffic() throws IOException {
    dashboard = new JsonObject(Files.readString(DASHBOARD));
    try (TestService svc = TestService.start(new JsonObject().put("report", new JsonObject().put("gauge_interval_ms", 1_000)
        .put("guardrail_interval_ms", 200)))) {
      seedReport(svc);
      assertNotNull(svc.rpc("trigger_event", new JsonObject().put("event_type", "practice_completed").put("user_id", "graf-1")
          .put("request_id", "graf-req-1")).getJsonObject("result"));
      assertNotNull(svc.rpc("trigger_event", new JsonObject().put("event_type", "practice_completed").put("user_id", "graf-1")
          .put("request_id", "graf-req-1")).getJsonObject("result"), "the repeat is answered from the idempotency cache");
      assertNotNull(svc.rpc("select_loop", new JsonObject().put("user_id", "graf-2").put("event_type", "session_ended"))
          .getJsonObject("result"));
      assertEquals(-32602, svc.rpc("trigger_event", new JsonObject().put("event_type", "nope").put("user_id", "graf-3"))
          .getJsonObject("error").getInteger("code"));
      String text = svc.get("/metrics").bodyAsString();
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target", "metrics-scrape.txt"), text, StandardCharsets.UTF_8);
      scraped = parseScrape(text);
      svc.resetData();
    }
  }

  /**
   * A selection with an invite and a join, and a holdout, an hour ago (SQL, as the report's own tests do), then waits
   * until the gauge job has published viral_k_factor and viral_holdout_lift for that loop.
   */
  static void seedReport(TestService svc) {
    svc.resetData();
    long loop = svc.query("SELECT id FROM viral_loops WHERE name = 'buddy_challenge'").iterator().next().getLong(0);
    java.time.OffsetDateTime hourAgo = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusHours(1);
    for (String outcome : List.of("selected", "holdout")) {
      java.util.UUID id = java.util.UUID.randomUUID();
      svc.query("INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success,"
          + " created_at, user_id, event_type, outcome) VALUES ($1, 'orchestrator', 'select_loop', '{}', $2, 1, true, $3,"
          + " $4, 'practice_completed', $5)", id, loop, hourAgo, "graf-" + outcome, outcome);
      for (String kind : outcome.equals("selected") ? List.of("shown", "invite_sent", "joined") : List.<String>of()) {
        svc.query("INSERT INTO loop_outcomes (outcome_id, decision_id, user_id, loop_id, outcome, occurred_at, input_params)"
            + " VALUES ($1, $2, $3, $4, $5, now(), '{}')", java.util.UUID.randomUUID(), id, "graf-selected", loop, kind);
      }
    }
    // An active loop with a guardrail: the guardrail job publishes its pause counter (at 0).
    svc.query("UPDATE viral_loops SET guardrails = '[{\"metric\": \"dismiss_rate\", \"max_increase\": 0.5}]'"
        + " WHERE name = 'results_rally'");
    assertNotNull(svc.admin("set_loop_active", new JsonObject().put("name", "results_rally").put("active", true))
        .getJsonObject("result"), "the admin change reloads the catalog everywhere");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!svc.get("/metrics").bodyAsString().contains("viral_holdout_lift{loop=\"buddy_challenge\"}")
        || !svc.get("/metrics").bodyAsString().contains("viral_guardrail_pauses_total{loop=\"results_rally\"")) {
      assertTrue(System.nanoTime() < deadline, "the gauge job never published the K-factor and lift, or the guardrail"
          + " job its counter");
      TestService.await(svc.vertx.timer(100));
    }
    assertNotNull(svc.admin("set_loop_active", new JsonObject().put("name", "results_rally").put("active", false))
        .getJsonObject("result"), "the traffic that follows expects no active loop");
    svc.query("UPDATE viral_loops SET guardrails = '[]' WHERE name = 'results_rally'"); // the database outlives this class
  }

  @Test
  void everyMetricTheDashboardQueriesIsInARealScrape() {
    Set<String> missing = new TreeSet<>(missingMetrics(dashboard));
    assertTrue(missing.isEmpty(), "the dashboard queries series /metrics does not publish: " + missing
        + " (see target/metrics-scrape.txt)");
  }

  @Test
  void theDashboardChartsEveryServiceMetric() {
    Set<String> used = new HashSet<>();
    for (String expr : expressions(dashboard)) {
      used.addAll(metricNames(expr));
    }
    List<String> unused = REQUIRED.stream().filter(name -> !used.contains(name)).toList();
    assertTrue(unused.isEmpty(), "no panel charts " + unused);
    for (String name : REQUIRED) {
      assertTrue(scraped.containsKey(name), name + " is published (see target/metrics-scrape.txt)");
    }
  }

  @Test
  void everyLabelTheDashboardFiltersOrGroupsByIsOnItsSeries() {
    List<String> problems = new ArrayList<>();
    for (String expr : expressions(dashboard)) {
      String plain = withoutStringsAndVariables(expr);
      Matcher selector = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}").matcher(plain);
      while (selector.find()) {
        Set<String> labels = scraped.getOrDefault(selector.group(1), Set.of());
        Matcher matcher = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)").matcher(selector.group(2));
        while (matcher.find()) {
          String label = matcher.group(1);
          if (!TARGET_LABELS.contains(label) && !labels.contains(label)) {
            problems.add(selector.group(1) + " has no label '" + label + "' (in " + expr + ")");
          }
        }
      }
      Set<String> available = new HashSet<>(TARGET_LABELS);
      for (String name : metricNames(expr)) {
        available.addAll(scraped.getOrDefault(name, Set.of()));
      }
      Matcher grouping = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)").matcher(plain);
      while (grouping.find()) {
        for (String label : grouping.group(1).split(",")) {
          if (!label.isBlank() && !available.contains(label.strip())) {
            problems.add("no series in the expression has label '" + label.strip() + "' (in " + expr + ")");
          }
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void aRenamedMetricIsCaught() {
    JsonObject renamed = new JsonObject(dashboard.encode().replace("viral_events_total", "viral_event_total"));
    assertEquals(Set.of("viral_event_total"), missingMetrics(renamed));
  }

  @Test
  void theExtractorFindsNamesInsideFunctionsAndSkipsLabelsKeywordsAndVariables() {
    String expr = "histogram_quantile(0.99, sum by (le, method) (rate(a_seconds_bucket{instance=~\"$instance\", "
        + "outcome!=\"ok\"}[$__rate_interval]))) / on() group_left() clamp_min(sum(rate(b_total[5m] offset 1h)), 1e-9)"
        + " and c_gauge == 1 or max without (x) (d:recorded)";
    assertEquals(Set.of("a_seconds_bucket", "b_total", "c_gauge", "d:recorded"), metricNames(expr));
    assertEquals(Set.of("process_uptime_seconds"), metricNames("label_values(process_uptime_seconds, instance)"));
  }

  @Test
  void everyPanelQueriesThePrometheusDatasourceVariable() {
    int schema = dashboard.getInteger("schemaVersion");
    assertTrue(schema >= 36 && schema <= 41, "schemaVersion " + schema);
    assertEquals("DS_PROMETHEUS", dashboard.getJsonArray("__inputs").getJsonObject(0).getString("name"));
    Set<Integer> ids = new HashSet<>();
    int queried = 0;
    for (JsonObject panel : panels(dashboard)) {
      assertTrue(ids.add(panel.getInteger("id")), "panel ids are unique: " + panel.getInteger("id"));
      JsonObject grid = panel.getJsonObject("gridPos");
      assertTrue(grid.getInteger("x") + grid.getInteger("w") <= 24, panel.getString("title") + " fits the 24-column grid");
      if ("row".equals(panel.getString("type"))) {
        continue;
      }
      assertEquals("${DS_PROMETHEUS}", panel.getJsonObject("datasource").getString("uid"), panel.getString("title"));
      JsonArray targets = panel.getJsonArray("targets");
      assertTrue(targets != null && !targets.isEmpty(), panel.getString("title") + " has queries");
      for (int i = 0; i < targets.size(); i++) {
        assertEquals("${DS_PROMETHEUS}", targets.getJsonObject(i).getJsonObject("datasource").getString("uid"));
        queried++;
      }
    }
    assertTrue(queried >= REQUIRED.size() / 2, "queries: " + queried);
  }

  // --- PromQL and scrape parsing ---------------------------------------------------------------------

  static Set<String> missingMetrics(JsonObject dash) {
    Set<String> missing = new TreeSet<>();
    for (String expr : expressions(dash)) {
      for (String name : metricNames(expr)) {
        if (!scraped.containsKey(name)) {
          missing.add(name);
        }
      }
    }
    return missing;
  }

  /** Every PromQL expression: panel targets (rows nest panels) and template-variable queries. */
  static List<String> expressions(JsonObject dash) {
    List<String> out = new ArrayList<>();
    for (JsonObject panel : panels(dash)) {
      JsonArray targets = panel.getJsonArray("targets", new JsonArray());
      for (int i = 0; i < targets.size(); i++) {
        String expr = targets.getJsonObject(i).getString("expr");
        if (expr != null && !expr.isBlank()) {
          out.add(expr);
        }
      }
    }
    JsonArray variables = dash.getJsonObject("templating", new JsonObject()).getJsonArray("list", new JsonArray());
    for (int i = 0; i < variables.size(); i++) {
      JsonObject variable = variables.getJsonObject(i);
      if ("query".equals(variable.getString("type"))) {
        Object query = variable.getValue("query");
        out.add(query instanceof JsonObject q ? q.getString("query") : String.valueOf(query));
      }
    }
    assertTrue(out.size() > 10, "the dashboard has its queries: " + out.size());
    return out;
  }

  static List<JsonObject> panels(JsonObject dash) {
    List<JsonObject> out = new ArrayList<>();
    JsonArray top = dash.getJsonArray("panels");
    for (int i = 0; i < top.size(); i++) {
      JsonObject panel = top.getJsonObject(i);
      out.add(panel);
      JsonArray nested = panel.getJsonArray("panels", new JsonArray());
      for (int j = 0; j < nested.size(); j++) {
        out.add(nested.getJsonObject(j));
      }
    }
    return out;
  }

  /** The series names in a PromQL expression (or a Grafana {@code label_values(metric, label)} query). */
  static Set<String> metricNames(String expr) {
    Matcher labelValues = Pattern.compile("^\\s*label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,").matcher(expr);
    if (labelValues.find()) {
      return Set.of(labelValues.group(1));
    }
    String plain = withoutStringsAndVariables(expr)
        .replaceAll("\\[[^\\]]*]", " ")                                                   // ranges, subqueries
        .replaceAll("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ") // grouping labels
        .replaceAll("\\{[^}]*}", " ")                                                     // label matchers
        .replaceAll("\\boffset\\s+-?[0-9a-z]+", " ");                                     // offset durations
    Set<String> names = new LinkedHashSet<>();
    Matcher identifier = Pattern.compile("(?<![a-zA-Z0-9_:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(plain);
    while (identifier.find()) {
      String name = identifier.group(1);
      if (identifier.group(2) == null && !PROMQL_WORDS.contains(name.toLowerCase())) {
        names.add(name);
      }
    }
    return names;
  }

  static String withoutStringsAndVariables(String expr) {
    return expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("\\$\\{[^}]*}|\\$[a-zA-Z_]+", " ");
  }

  /** Series name to label names, from the Prometheus text exposition. */
  static Map<String, Set<String>> parseScrape(String text) {
    Map<String, Set<String>> series = new TreeMap<>();
    Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      int end = brace >= 0 && (space < 0 || brace < space) ? brace : space;
      Set<String> labels = series.computeIfAbsent(line.substring(0, end), k -> new TreeSet<>());
      if (end == brace) {
        Matcher m = label.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.add(m.group(1));
        }
      }
    }
    return series;
  }
}
