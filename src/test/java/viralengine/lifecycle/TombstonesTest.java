package viralengine.lifecycle;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.config.AppConfig;
import viralengine.config.ConfigException;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** The tombstone's key: configured, or generated once per deployment and shared by every node; never echoed. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TombstonesTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aTombstoneIsAKeyedHashTheSameForTheSameLearnerAndKey() {
    Tombstones a = new Tombstones("k".repeat(32));
    assertEquals(a.of("learner-1"), new Tombstones("k".repeat(32)).of("learner-1"));
    assertNotEquals(a.of("learner-1"), a.of("learner-2"));
    assertNotEquals(a.of("learner-1"), new Tombstones("j".repeat(32)).of("learner-1"), "another deployment, another tombstone");
    assertTrue(a.of("learner-1").matches("erased:[0-9a-f]{64}"), a.of("learner-1"));
    assertFalse(a.of("learner-1").contains("learner-1"));
  }

  @Test
  void withoutAConfiguredSecretEveryNodeUsesTheOneGeneratedSecret() {
    Tombstones first = await(Tombstones.load(svc.sql, null));
    Tombstones second = await(Tombstones.load(svc.sql, null));
    assertEquals(first.of("learner-1"), second.of("learner-1"), "two nodes, one tombstone");
    assertEquals(1, svc.count("SELECT count(*) FROM lifecycle_secrets"));
    String configured = "c".repeat(40);
    assertEquals(new Tombstones(configured).of("x"), await(Tombstones.load(svc.sql, configured)).of("x"));
  }

  @Test
  void aShortSecretIsAStartupErrorThatNamesTheKeyAndNotTheValue() {
    String secret = "too-short-secret";
    ConfigException e = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("erasure", new JsonObject().put("secret", secret))));
    assertTrue(e.getMessage().startsWith("config erasure.secret: "), e.getMessage());
    assertFalse(e.getMessage().contains(secret), e.getMessage());
    assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject().put("ERASURE_SECRET", "short")));
    assertNull(AppConfig.from(new JsonObject()).erasure().secret());
    AppConfig configured = AppConfig.from(new JsonObject().put("ERASURE_SECRET", "s".repeat(32)));
    assertEquals("s".repeat(32), configured.erasure().secret());
    assertFalse(configured.toString().contains("s".repeat(32)), "the config's text never shows it");
  }
}
