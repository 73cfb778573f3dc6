package viralengine.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads one value per dotted key from the merged config sources and checks it.
 *
 * <p>Precedence, highest first: a system property named like the key ({@code -Dhttp.port=8080}),
 * an environment variable named like the key ({@code HTTP_PORT}, or an alias such as {@code PORT}),
 * then the nested value in {@code conf/config.json}. Missing everywhere means the default.
 */
final class Settings {
  private final JsonObject merged;

  Settings(JsonObject merged) {
    this.merged = merged;
  }

  /** The environment variable that overrides a key: {@code circuit_breaker.minimum_calls} → {@code CIRCUIT_BREAKER_MINIMUM_CALLS}. */
  static String envName(String key) {
    return key.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  Object raw(String key, String... envAliases) {
    if (merged.containsKey(key)) {
      return merged.getValue(key);
    }
    String env = envName(key);
    if (merged.containsKey(env)) {
      return merged.getValue(env);
    }
    for (String alias : envAliases) {
      if (merged.containsKey(alias)) {
        return merged.getValue(alias);
      }
    }
    return nested(key);
  }

  private Object nested(String key) {
    String[] parts = key.split("\\.");
    Object node = merged;
    for (String part : parts) {
      if (!(node instanceof JsonObject obj) || !obj.containsKey(part)) {
        return null;
      }
      node = obj.getValue(part);
    }
    return node;
  }

  String string(String key, String def, String... envAliases) {
    Object v = raw(key, envAliases);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      throw new ConfigException(key, "must be a non-empty string, got '" + v + "'");
    }
    return s.trim();
  }

  long number(String key, long def, long min, long max, String... envAliases) {
    Object v = raw(key, envAliases);
    long value;
    if (v == null) {
      value = def;
    } else if (v instanceof Number n && n.doubleValue() == n.longValue()) {
      value = n.longValue();
    } else if (v instanceof String s) {
      try {
        value = Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "must be a whole number, got '" + s + "'");
      }
    } else {
      throw new ConfigException(key, "must be a whole number, got '" + v + "'");
    }
    if (value < min || value > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /** A finite number within [min, max], such as a threshold. */
  double decimal(String key, double def, double min, double max, String... envAliases) {
    Object v = raw(key, envAliases);
    double value;
    if (v == null) {
      value = def;
    } else if (v instanceof Number n) {
      value = n.doubleValue();
    } else if (v instanceof String s) {
      try {
        value = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "must be a number, got '" + s + "'");
      }
    } else {
      throw new ConfigException(key, "must be a number, got '" + v + "'");
    }
    if (!(value >= min && value <= max)) {
      throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  int integer(String key, int def, int min, int max, String... envAliases) {
    return (int) number(key, def, min, max, envAliases);
  }

  boolean bool(String key, boolean def, String... envAliases) {
    Object v = raw(key, envAliases);
    if (v == null) {
      return def;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw new ConfigException(key, "must be true or false, got '" + v + "'");
  }

  /**
   * A list of strings: a JSON array in the file, or one comma-separated string from the environment or a
   * system property ({@code MCP_ALLOWED_HOSTS=localhost,api.example.com}). Each entry is trimmed and must
   * match {@code entry}; at most {@code maxEntries} entries, and at least one unless {@code mayBeEmpty}.
   */
  List<String> strings(String key, List<String> def, int maxEntries, boolean mayBeEmpty, Pattern entry,
      String entryName, String... envAliases) {
    Object v = raw(key, envAliases);
    if (v == null) {
      return def;
    }
    List<String> values = new ArrayList<>();
    if (v instanceof JsonArray array) {
      for (Object element : array) {
        if (!(element instanceof String s)) {
          throw new ConfigException(key, "must be a list of strings, got '" + element + "'");
        }
        values.add(s.trim());
      }
    } else if (v instanceof String s) {
      for (String part : s.split(",")) {
        if (!part.isBlank()) {
          values.add(part.trim());
        }
      }
    } else {
      throw new ConfigException(key, "must be a list of strings, got '" + v + "'");
    }
    if (values.size() > maxEntries) {
      throw new ConfigException(key, "must have at most " + maxEntries + " entries, got " + values.size());
    }
    if (values.isEmpty() && !mayBeEmpty) {
      throw new ConfigException(key, "must not be empty");
    }
    for (String value : values) {
      if (value.length() > 255 || !entry.matcher(value).matches()) {
        throw new ConfigException(key, "each entry must be " + entryName + ", got '" + value + "'");
      }
    }
    return List.copyOf(values);
  }
}
