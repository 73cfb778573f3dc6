package viralengine.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Loads {@code conf/config.json}, then environment variables, then system properties; later sources win
 * (see {@link Settings}). Only environment variables that name a known key are read, so unrelated
 * secrets in the environment never enter the config object.
 */
public final class ConfigLoader {
  public static final String CONFIG_FILE_PROPERTY = "config.file";
  private static final String DEFAULT_FILE = "conf/config.json";

  private ConfigLoader() {}

  public static Future<AppConfig> load(Vertx vertx) {
    ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions()
        .setIncludeDefaultStores(false)
        .setScanPeriod(-1)
        .addStore(new ConfigStoreOptions().setType("file").setFormat("json").setOptional(true)
            .setConfig(new JsonObject().put("path", System.getProperty(CONFIG_FILE_PROPERTY, DEFAULT_FILE))))
        .addStore(new ConfigStoreOptions().setType("env")
            .setConfig(new JsonObject().put("raw-data", true).put("keys", new JsonArray(envKeys()))))
        .addStore(new ConfigStoreOptions().setType("sys").setConfig(new JsonObject().put("cache", false))));
    return retriever.getConfig()
        .eventually(retriever::close)
        .map(AppConfig::from);
  }

  private static List<String> envKeys() {
    List<String> keys = new ArrayList<>(List.of("PORT", "DATABASE_URL", "ORCHESTRATOR_API_TOKENS"));
    for (String key : AppConfig.keys()) {
      keys.add(Settings.envName(key));
    }
    return keys;
  }
}
