package viralengine.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AppConfigTest {

  @Test
  void defaultsMatchTheDesign() {
    AppConfig config = AppConfig.from(new JsonObject());
    assertEquals(4001, config.http().port());
    assertEquals(150, config.orchestrator().timeoutMs());
    assertEquals(50, config.breaker().failureRatePercent());
    assertEquals(20, config.breaker().minimumCalls());
    assertEquals(1_000, config.breaker().windowMs());
    assertEquals(5_000, config.breaker().resetTimeoutMs());
    assertEquals(30_000, config.drainTimeoutMs());
    assertEquals(1_048_576, config.limits().maxBodyBytes());
    assertEquals(100, config.limits().maxBatch());
    assertEquals(100, config.limits().maxConcurrentRequests());
    assertTrue(config.database().embedded(), "no database.url means the embedded PostgreSQL");
    assertEquals("embedded", config.database().mode());
    assertEquals("data/pg", config.database().embeddedDir());
    assertEquals(io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, config.http().instances());
    assertEquals(java.util.List.of(), config.deployVerticles());
  }

  @Test
  void aDatabaseUrlMeansAnExternalServer() {
    AppConfig config = AppConfig.from(new JsonObject().put("database", new JsonObject().put("url", "postgresql://u@h:5432/d")));
    assertEquals("external", config.database().mode());
    assertEquals("h:5432/d", config.database().describe());
  }

  @Test
  void httpPortWinsOverPortAndASystemPropertyOverBoth() {
    JsonObject merged = new JsonObject().put("PORT", "8080").put("HTTP_PORT", "8081");
    assertEquals(8081, AppConfig.from(merged).http().port());
    assertEquals(8082, AppConfig.from(merged.put("http.port", "8082")).http().port());
  }

  @Test
  void deployVerticlesTakesClassNamesAndNamesTheKeyOtherwise() {
    AppConfig config = AppConfig.from(new JsonObject().put("DEPLOY_VERTICLES", "com.example.A, com.example.B"));
    assertEquals(java.util.List.of("com.example.A", "com.example.B"), config.deployVerticles());
    ConfigException e = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("deploy", new JsonObject().put("verticles", new io.vertx.core.json.JsonArray().add("not a class")))));
    assertTrue(e.getMessage().startsWith("config deploy.verticles: "), e.getMessage());
  }

  @Test
  void theShippedConfigFileHasEveryKeyAndMeansEmbeddedAndTwoInstancesPerCore() throws Exception {
    JsonObject file = new JsonObject(java.nio.file.Files.readString(java.nio.file.Path.of("conf", "config.json")));
    AppConfig config = AppConfig.from(file);
    assertTrue(config.database().embedded());
    assertEquals(io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, config.http().instances());
    for (String key : AppConfig.keys()) {
      String[] parts = key.split("\\.");
      if (!key.equals("auth.tokens")) { // environment only, by design
        assertTrue(file.getJsonObject(parts[0]).containsKey(parts[1]), "conf/config.json lacks " + key);
      }
    }
  }

  @Test
  void logFormatIsAutoByDefaultTakesTextOrJsonFromTheEnvironmentAndRefusesAnythingElse() {
    assertEquals("auto", AppConfig.from(new JsonObject()).logFormat());
    assertEquals("text", AppConfig.from(new JsonObject().put("LOG_FORMAT", "text")).logFormat());
    assertEquals("json", AppConfig.from(new JsonObject().put("log", new JsonObject().put("format", "json"))).logFormat());
    ConfigException e = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject().put("LOG_FORMAT", "pretty")));
    assertEquals("config log.format: must be one of [auto, json, text], got 'pretty'", e.getMessage());
  }

  @Test
  void theFileSetsNestedKeys() {
    AppConfig config = AppConfig.from(new JsonObject().put("http", new JsonObject().put("port", 5000)));
    assertEquals(5000, config.http().port());
  }

  @Test
  void environmentVariablesOverrideTheFileAndSystemPropertiesOverrideBoth() {
    JsonObject merged = new JsonObject().put("http", new JsonObject().put("port", 5000)).put("HTTP_PORT", "5001");
    assertEquals(5001, AppConfig.from(merged).http().port());
    merged.put("http.port", "5002");
    assertEquals(5002, AppConfig.from(merged).http().port());
  }

  @Test
  void portAndDatabaseUrlHonourTheirPlatformAliases() {
    AppConfig config = AppConfig.from(new JsonObject().put("PORT", "8080")
        .put("DATABASE_URL", "postgresql://app:secret@db.internal:6543/viral"));
    assertEquals(8080, config.http().port());
    assertEquals("db.internal:6543/viral", config.database().describe());
    assertEquals("jdbc:postgresql://db.internal:6543/viral", config.database().jdbcUrl());
    assertEquals("secret", config.database().connectOptions().getPassword());
  }

  @Test
  void aNonNumericValueNamesTheKey() {
    ConfigException e = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject().put("PORT", "eighty")));
    assertEquals("config http.port: must be a whole number, got 'eighty'", e.getMessage());
  }

  @Test
  void anOutOfRangeValueNamesTheKeyAndTheRange() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("limits", new JsonObject().put("max_batch", 0))));
    assertTrue(e.getMessage().startsWith("config limits.max_batch: must be between 1 and"), e.getMessage());
  }

  @Test
  void aDatabaseUrlThatIsNotPostgresIsRejectedWithoutEchoingIt() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("DATABASE_URL", "mysql://root:hunter2@db/x")));
    assertTrue(e.getMessage().startsWith("config database.url:"));
    assertFalse(e.getMessage().contains("hunter2"));
  }

  @Test
  void unknownKeysAndSectionsAreRejected() {
    ConfigException key = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("http", new JsonObject().put("prot", 1))));
    assertTrue(key.getMessage().startsWith("config http.prot: unknown key"));
    ConfigException section = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("htp", new JsonObject())));
    assertTrue(section.getMessage().startsWith("config htp: unknown section"));
  }

  @Test
  void booleansAndStringsAreTypeChecked() {
    assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject().put("http", new JsonObject().put("host", 12))));
    assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject().put("http", new JsonObject().put("port", 1.5))));
    assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject().put("http", new JsonObject().put("port", true))));
  }

  @Test
  void plainTokensFromTheEnvironmentAreKeptOnlyAsHashes() {
    AppConfig config = AppConfig.from(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "first-token-0123456789, second-token-0123456789"));
    assertEquals(java.util.Set.of(viralengine.auth.TokenSet.sha256Hex("first-token-0123456789"),
        viralengine.auth.TokenSet.sha256Hex("second-token-0123456789")), config.security().tokenHashes());
    assertFalse(config.toString().contains("first-token"), "the plain token is not kept");
  }

  @Test
  void aWeakTokenIsRefusedWithoutEchoingIt() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> AppConfig.from(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "hunter2")));
    assertTrue(e.getMessage().startsWith("config auth.tokens:"));
    assertFalse(e.getMessage().contains("hunter2"));
  }

  @Test
  void tokenHashesMustBeHexSha256() {
    ConfigException e = assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject()
        .put("auth", new JsonObject().put("token_sha256", new io.vertx.core.json.JsonArray().add("abc")))));
    assertTrue(e.getMessage().startsWith("config auth.token_sha256:"), e.getMessage());
  }

  @Test
  void authIsOffAndMetricsClosedAndCorsOffByDefault() {
    AppConfig config = AppConfig.from(new JsonObject());
    assertTrue(config.security().tokenHashes().isEmpty());
    assertFalse(config.security().metricsPublic());
    assertTrue(config.security().corsOrigins().isEmpty());
  }

  @Test
  void everyKeyHasAnEnvironmentName() {
    assertTrue(AppConfig.keys().contains("circuit_breaker.minimum_calls"));
    assertEquals("CIRCUIT_BREAKER_MINIMUM_CALLS", Settings.envName("circuit_breaker.minimum_calls"));
  }

  @Test
  void experimentsAndSelectionHaveTheirDefaultsAndAreSetFromTheEnvironment() {
    AppConfig defaults = AppConfig.from(new JsonObject());
    assertEquals(new AppConfig.Experiments(5, "viral-engine"), defaults.experiments());
    assertEquals(new AppConfig.Selection("priority", 5_000, null, 1_000, 0, "invite_sent", 24), defaults.selection());
    assertEquals(5_000, defaults.report().sequentialTuningN());
    AppConfig set = AppConfig.from(new JsonObject().put("EXPERIMENTS_HOLDOUT_PERCENT", "10").put("EXPERIMENTS_SALT", "2027-q1")
        .put("SELECTION_STRATEGY", "thompson").put("SELECTION_SEED", "42").put("SELECTION_REFRESH_MS", "200")
        .put("SELECTION_WINDOW", "500").put("SELECTION_HOLDBACK_PERCENT", "15").put("REPORT_SEQUENTIAL_TUNING_N", "20000")
        .put("SELECTION_REWARD", "joined").put("SELECTION_REWARD_WINDOW_HOURS", "168"));
    assertEquals(new AppConfig.Experiments(10, "2027-q1"), set.experiments());
    assertEquals(new AppConfig.Selection("thompson", 200, 42L, 500, 15, "joined", 168), set.selection());
    assertEquals(20_000, set.report().sequentialTuningN());
  }

  @Test
  void badExperimentAndSelectionValuesNameTheirKey() {
    JsonObject[] bad = {
        new JsonObject().put("experiments", new JsonObject().put("holdout_percent", 101)),
        new JsonObject().put("experiments", new JsonObject().put("holdout_percent", -1)),
        new JsonObject().put("experiments", new JsonObject().put("salt", "x".repeat(129))),
        new JsonObject().put("experiments", new JsonObject().put("salt", " ")),
        new JsonObject().put("selection", new JsonObject().put("strategy", "epsilon_greedy")),
        new JsonObject().put("selection", new JsonObject().put("refresh_ms", 0)),
        new JsonObject().put("selection", new JsonObject().put("window", 99)),
        new JsonObject().put("selection", new JsonObject().put("seed", "abc")),
        new JsonObject().put("selection", new JsonObject().put("floor", 0.05)),
        new JsonObject().put("selection", new JsonObject().put("holdback_percent", 101)),
        new JsonObject().put("report", new JsonObject().put("sequential_tuning_n", 10)),
        new JsonObject().put("selection", new JsonObject().put("reward", "clicked")),
        new JsonObject().put("selection", new JsonObject().put("reward_window_hours", 0))};
    String[] keys = {"experiments.holdout_percent", "experiments.holdout_percent", "experiments.salt", "experiments.salt",
        "selection.strategy", "selection.refresh_ms", "selection.window", "selection.seed", "selection.floor",
        "selection.holdback_percent", "report.sequential_tuning_n", "selection.reward", "selection.reward_window_hours"};
    for (int i = 0; i < bad.length; i++) {
      JsonObject config = bad[i];
      ConfigException e = assertThrows(ConfigException.class, () -> AppConfig.from(config), config.encode());
      assertTrue(e.getMessage().startsWith("config " + keys[i] + ": "), e.getMessage());
    }
  }
}
