package viralengine.config;

/** A configuration value is missing or invalid. The message names the key and is safe to print as one line. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String key, String problem) {
    super("config " + key + ": " + problem);
  }
}
