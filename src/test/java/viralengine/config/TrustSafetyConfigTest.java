package viralengine.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trust_safety.* keys: their defaults, the environment, and a bad value as a start-up error naming the key. */
class TrustSafetyConfigTest {
  @Test
  void theDefaultsAreTheContracts() {
    assertEquals(new AppConfig.TrustSafety(10, 10, 30), AppConfig.from(new JsonObject()).trustSafety());
  }

  @Test
  void theEnvironmentSetsThem() {
    AppConfig config = AppConfig.from(new JsonObject().put("TRUST_SAFETY_MAX_INVITES_PER_DAY", "25")
        .put("TRUST_SAFETY_REPORT_BLOCK_DAYS", "7"));
    assertEquals(new AppConfig.TrustSafety(25, 10, 7), config.trustSafety());
  }

  @Test
  void aBadValueIsAStartUpErrorNamingTheKey() {
    ConfigException zero = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject()
        .put("trust_safety", new JsonObject().put("max_selections_per_hour", 0))));
    assertTrue(zero.getMessage().startsWith("config trust_safety.max_selections_per_hour: "), zero.getMessage());
    ConfigException unknown = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject()
        .put("trust_safety", new JsonObject().put("max_reports", 3))));
    assertTrue(unknown.getMessage().contains("trust_safety.max_reports"), unknown.getMessage());
  }
}
