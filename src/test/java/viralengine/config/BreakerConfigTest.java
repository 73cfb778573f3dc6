package viralengine.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22: the breaker's new keys. circuit_breaker.failure_rate_threshold (percent), minimum_calls, window_ms and
 * reset_timeout_ms are read (file and environment form); the old max_failures and failure_window_ms are gone, and a
 * file that still sets them fails the start naming the key. Today the old keys are read and the new ones are unknown.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BreakerConfigTest {
  static final String[] NEW_KEYS = {"circuit_breaker.failure_rate_threshold", "circuit_breaker.minimum_calls",
      "circuit_breaker.window_ms", "circuit_breaker.reset_timeout_ms"};
  static final String[] OLD_KEYS = {"circuit_breaker.max_failures", "circuit_breaker.failure_window_ms"};

  @Test
  void theServiceReadsTheNewBreakerKeysAndNotTheOldOnes() {
    for (String key : NEW_KEYS) {
      assertTrue(AppConfig.keys().contains(key), key + " is a key the service reads: " + AppConfig.keys());
    }
    for (String key : OLD_KEYS) {
      assertFalse(AppConfig.keys().contains(key), key + " is no longer read");
    }
  }

  @Test
  void theNewKeysAreAcceptedInAConfigFile() {
    assertDoesNotThrow(() -> AppConfig.from(new JsonObject().put("circuit_breaker", new JsonObject()
        .put("failure_rate_threshold", 50).put("minimum_calls", 20).put("window_ms", 1_000).put("reset_timeout_ms", 5_000))));
  }

  @Test
  void aConfigFileWithAnOldKeyFailsTheStartNamingIt() {
    for (String key : OLD_KEYS) {
      String name = key.substring("circuit_breaker.".length());
      ConfigException e = assertThrows(ConfigException.class,
          () -> AppConfig.from(new JsonObject().put("circuit_breaker", new JsonObject().put(name, 5_000))), key);
      assertTrue(e.getMessage().contains(key), e.getMessage());
    }
  }

  @Test
  void aFailureRateThresholdIsAPercentage() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("CIRCUIT_BREAKER_FAILURE_RATE_THRESHOLD", "101")));
    assertTrue(e.getMessage().contains("circuit_breaker.failure_rate_threshold"), e.getMessage());
  }

  @Test
  void theShippedConfigFileHasTheNewKeysAndLoads() throws Exception {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf", "config.json")));
    JsonObject breaker = shipped.getJsonObject("circuit_breaker");
    for (String key : NEW_KEYS) {
      assertTrue(breaker.containsKey(key.substring("circuit_breaker.".length())), "conf/config.json sets " + key + ": " + breaker);
    }
    assertDoesNotThrow(() -> AppConfig.from(shipped));
  }
}
