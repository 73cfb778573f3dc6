package viralengine.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.config.AppConfig;
import viralengine.config.ConfigException;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The window that opens the circuit, on a clock the test moves (no sleeps). */
class FailureRateTest {
  static final long MS = 1_000_000;
  final AtomicLong now = new AtomicLong(1_000_000 * MS);

  FailureRate rate(int percent, int minimum, long windowMs, int trialCalls) {
    return new FailureRate(new AppConfig.Breaker(percent, minimum, windowMs, 5_000, trialCalls), now::get);
  }

  @Test
  void fiveSlowCallsAmongThousandsNeverOpenIt() {
    FailureRate window = rate(50, 20, 1_000, 5);
    for (int i = 0; i < 5; i++) {
      assertFalse(window.record(true), "a cold start's first slow calls");
    }
    for (int i = 0; i < 2_000; i++) {
      now.addAndGet(MS / 2);
      assertFalse(window.record(i % 400 == 0));
    }
  }

  @Test
  void failuresBelowTheMinimumNumberOfCallsDoNotOpenIt() {
    FailureRate window = rate(50, 20, 1_000, 5);
    for (int i = 0; i < 19; i++) {
      assertFalse(window.record(true));
    }
    assertTrue(window.record(true), "the 20th failure in a row reaches the minimum");
  }

  @Test
  void itOpensAtTheThresholdRateAndNotBelow() {
    FailureRate below = rate(50, 20, 1_000, 5);
    below.record(false);
    below.record(false);
    for (int i = 0; i < 98; i++) {
      // one success ahead of every failure: 49 failures in 100 calls, under 50 % at every point
      assertFalse(below.record(i % 2 == 0));
    }
    FailureRate at = rate(50, 20, 1_000, 5);
    boolean opened = false;
    for (int i = 0; i < 40 && !opened; i++) {
      opened = at.record(i % 2 == 1);
    }
    assertTrue(opened, "half of 40 calls failed");
  }

  @Test
  void failuresOlderThanTheWindowAreForgotten() {
    FailureRate window = rate(50, 4, 1_000, 4);
    window.record(true);
    window.record(true);
    window.record(true);
    now.addAndGet(1_100 * MS);
    assertArrayEquals(new int[] {0, 0}, window.counts());
    assertFalse(window.record(true), "one failure in a fresh window is under the minimum");
  }

  @Test
  void afterATrialCallTheFirstCallsAreJudgedOnProbation() {
    FailureRate window = rate(50, 20, 1_000, 3);
    window.closedAfterTrial();
    assertFalse(window.record(true));
    assertFalse(window.record(true));
    assertTrue(window.record(true), "three trial calls failed: open again without waiting for twenty");
  }

  @Test
  void theKeysItReplacedStopTheStartNamingTheirReplacements() {
    ConfigException file = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject()
        .put("circuit_breaker", new JsonObject().put("max_failures", 5))));
    assertTrue(file.getMessage().contains("circuit_breaker.failure_rate_threshold"), file.getMessage());
    ConfigException env = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject()
        .put("CIRCUIT_BREAKER_FAILURE_WINDOW_MS", "60000")));
    assertTrue(env.getMessage().contains("circuit_breaker.window_ms"), env.getMessage());
  }
}
