package viralengine.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** retention.days: 400 by default, 0 keeps every day, the environment sets it, and a bad value names the key. */
class RetentionConfigTest {
  @Test
  void theDefaultIs400AndZeroKeepsEverything() {
    assertEquals(400, AppConfig.from(new JsonObject()).retention().days());
    assertEquals(0, AppConfig.from(new JsonObject().put("retention", new JsonObject().put("days", 0))).retention().days());
    assertEquals(30, AppConfig.from(new JsonObject().put("RETENTION_DAYS", "30")).retention().days());
  }

  @Test
  void aNegativeTinyOrAbsurdValueIsAStartUpErrorNamingTheKey() {
    for (int days : new int[] {-1, 1, 6, 36_501}) {
      ConfigException bad = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject()
          .put("retention", new JsonObject().put("days", days))));
      assertTrue(bad.getMessage().startsWith("config retention.days: "), bad.getMessage());
    }
  }
}
