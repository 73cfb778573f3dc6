package viralengine.config;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** The real loader: a file, then environment variables, then system properties. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConfigLoaderTest {
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    System.clearProperty(ConfigLoader.CONFIG_FILE_PROPERTY);
    System.clearProperty("orchestrator.loops_refresh_ms");
    await(vertx.close());
  }

  @Test
  void readsTheFileAndLetsSystemPropertiesWin(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"orchestrator\": {\"loops_refresh_ms\": 7000, \"timeout_ms\": 120}}");
    System.setProperty(ConfigLoader.CONFIG_FILE_PROPERTY, file.toString());
    System.setProperty("orchestrator.loops_refresh_ms", "9000");
    AppConfig config = await(ConfigLoader.load(vertx));
    assertEquals(9000, config.orchestrator().loopsRefreshMs());
    assertEquals(120, config.orchestrator().timeoutMs());
  }

  @Test
  void aConfigFileThatIsNamedButMissingStopsLoadingWithItsPath(@TempDir Path dir) {
    System.setProperty(ConfigLoader.CONFIG_FILE_PROPERTY, dir.resolve("absent.json").toString());
    AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> await(ConfigLoader.load(vertx)));
    assertTrue(e.getMessage().contains("config config.file: no such file: " + dir.resolve("absent.json")), e.getMessage());
  }

  @Test
  void aFileWithoutASectionGivesThatSectionItsDefaults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"http\": {\"port\": 4100}}");
    System.setProperty(ConfigLoader.CONFIG_FILE_PROPERTY, file.toString());
    AppConfig config = await(ConfigLoader.load(vertx));
    assertEquals(4100, config.http().port());
    assertEquals(150, config.orchestrator().timeoutMs());
  }

  @Test
  void aBadValueFailsLoadingWithTheKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "{\"limits\": {\"max_body_bytes\": \"lots\"}}");
    System.setProperty(ConfigLoader.CONFIG_FILE_PROPERTY, file.toString());
    AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> await(ConfigLoader.load(vertx)));
    assertTrue(e.getMessage().contains("config limits.max_body_bytes"), e.getMessage());
  }
}
