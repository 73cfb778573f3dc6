package viralengine.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads {@code conf/config.json}, then environment variables, then system properties; later sources win
 * (see {@link Settings}). Only environment variables that name a known key are read, so unrelated
 * secrets in the environment never enter the config object.
 */
public final class ConfigLoader {
  public static final String CONFIG_FILE_PROPERTY = "config.file";
  private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);
  private static final String DEFAULT_FILE = "conf/config.json";

  private ConfigLoader() {}

  /**
   * A file named by {@code -Dconfig.file} must exist. The default {@code conf/config.json} may be absent (the
   * JAR started from another directory): then every key has its default, and the log says so. A section
   * missing from the file means the defaults of its keys, and the log names those sections.
   */
  public static Future<AppConfig> load(Vertx vertx) {
    String explicit = System.getProperty(CONFIG_FILE_PROPERTY);
    Path file = Path.of(explicit == null ? DEFAULT_FILE : explicit);
    if (explicit != null && !Files.isRegularFile(file)) {
      return Future.failedFuture(new ConfigException(CONFIG_FILE_PROPERTY, "no such file: " + file.toAbsolutePath()));
    }
    boolean present = Files.isRegularFile(file);
    if (!present) {
      LOG.info("No {} in {}: every key has its default (environment variables and -D properties still apply)",
          DEFAULT_FILE, Path.of("").toAbsolutePath());
    }
    ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions()
        .setIncludeDefaultStores(false)
        .setScanPeriod(-1)
        .addStore(new ConfigStoreOptions().setType("file").setFormat("json").setOptional(!present)
            .setConfig(new JsonObject().put("path", file.toString())))
        .addStore(new ConfigStoreOptions().setType("env")
            .setConfig(new JsonObject().put("raw-data", true).put("keys", new JsonArray(envKeys()))))
        .addStore(new ConfigStoreOptions().setType("sys").setConfig(new JsonObject().put("cache", false))));
    return retriever.getConfig()
        .eventually(retriever::close)
        .map(merged -> {
          AppConfig config = AppConfig.from(merged);
          if (present) {
            logMissingSections(file, merged);
          }
          return config;
        });
  }

  private static void logMissingSections(Path file, JsonObject merged) {
    List<String> missing = AppConfig.sections().stream().filter(section -> !(merged.getValue(section) instanceof JsonObject)).toList();
    if (!missing.isEmpty()) {
      LOG.info("{} has no section {}: those keys have their defaults", file, missing);
    }
  }

  private static List<String> envKeys() {
    List<String> keys = new ArrayList<>(List.of("PORT", "DATABASE_URL", "ORCHESTRATOR_API_TOKENS", "FLY_PRIVATE_IP"));
    for (String key : AppConfig.keys()) {
      keys.add(Settings.envName(key));
    }
    for (String key : AgentSettings.keys()) {
      keys.add(Settings.envName(key)); // three levels deep: AGENTS_PERSONALIZATION_TOKEN
    }
    return keys;
  }
}
