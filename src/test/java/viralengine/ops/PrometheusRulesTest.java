package viralengine.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * ops/prometheus/alerts.yml is valid and its unit tests (alerts_test.yml) pass, checked by promtool (Debian package
 * prometheus; .ci/run installs it). Also: every metric the rules use is one the service publishes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrometheusRulesTest {
  static final Path RULES = Path.of("ops", "prometheus", "alerts.yml");
  static final Path TESTS = Path.of("ops", "prometheus", "alerts_test.yml");

  static String promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return fail("promtool is not on PATH: install it with `apt-get install -y prometheus` (Debian's package ships"
        + " promtool; .ci/run does this), then run this test again");
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(90, TimeUnit.SECONDS), "promtool did not finish");
    assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + output);
    return output;
  }

  @Test
  void theRulesAreValid() throws Exception {
    assertTrue(run(promtool(), "check", "rules", RULES.toString()).contains("SUCCESS: 7 rules found"));
  }

  @Test
  void theRuleUnitTestsPass() throws Exception {
    assertTrue(run(promtool(), "test", "rules", TESTS.toString()).contains("SUCCESS"));
  }

  @Test
  void theRulesUseMetricsTheServicePublishes() throws IOException {
    String rules = Files.readString(RULES);
    // Micrometer names with dots become Prometheus names with underscores (counters gain _total).
    for (String metric : List.of("viral_k_factor", "viral_k_factor_alert_threshold", "viral_decisions_total",
        "viral_spool_active", "viral_agent_calls_total", "viral_retention_failures_total",
        "viral_retention_last_success_timestamp_seconds")) {
      assertTrue(rules.contains(metric), metric);
    }
    assertEquals("viral.k.factor", viralengine.report.ReportJobs.K_FACTOR);
    assertEquals("viral.k.factor.alert.threshold", viralengine.report.ReportJobs.K_THRESHOLD);
    assertEquals("viral.decisions", viralengine.metrics.ServiceMetrics.DECISIONS);
    assertEquals("viral.spool.active", viralengine.metrics.ServiceMetrics.SPOOL_ACTIVE);
    assertEquals("viral.agent.calls", viralengine.metrics.ServiceMetrics.AGENT_CALLS);
    assertEquals("viral.retention.failures", viralengine.lifecycle.Retention.FAILURES);
    assertEquals("viral.retention.last.success.timestamp", viralengine.lifecycle.Retention.LAST_SUCCESS);
  }
}
