package viralengine.loops;

import io.vertx.core.json.JsonObject;
import viralengine.frequency.FrequencyRule;
import viralengine.frequency.Period;

import java.util.Locale;
import java.util.Set;

/**
 * A {@link FrequencyRule} as JSON: {@code {id, scope, scope_key, max_count, period}}. Parsing is strict and
 * names the bad path, such as {@code rule.max_count}.
 */
public final class RuleJson {
  public static final int MAX_COUNT = 1_000_000;
  private static final Set<String> FIELDS = Set.of("id", "scope", "scope_key", "max_count", "period");

  private RuleJson() {}

  /** A rule as a caller writes it, at {@code path} (e.g. {@code "rule"}); also reads stored rules. */
  public static FrequencyRule parse(Object json, String path) {
    FieldReader in = FieldReader.of(json, path, FIELDS);
    String id = in.slug("id", true);
    FrequencyRule.Scope scope = scope(in);
    String scopeKey;
    if (scope == FrequencyRule.Scope.GLOBAL) {
      if (in.has("scope_key")) {
        throw in.invalid("scope_key", "must be null or absent for a global rule");
      }
      scopeKey = null;
    } else {
      if (!in.has("scope_key")) {
        throw in.invalid("scope_key", "is required for a " + scope.wireName() + " rule: name the "
            + (scope == FrequencyRule.Scope.GROUP ? "group" : "loop"));
      }
      scopeKey = in.slug("scope_key", true);
    }
    int maxCount = (int) in.whole("max_count", 1, MAX_COUNT, null);
    return new FrequencyRule(id, scope, scopeKey, maxCount, period(in));
  }

  public static JsonObject toJson(FrequencyRule rule) {
    return new JsonObject()
        .put("id", rule.id())
        .put("scope", rule.scope().wireName())
        .put("scope_key", rule.scopeKey())
        .put("max_count", rule.maxCount())
        .put("period", rule.period().toJson());
  }

  private static FrequencyRule.Scope scope(FieldReader in) {
    Object value = in.raw("scope");
    if (value == null) {
      throw in.invalid("scope", "is required");
    }
    if (value instanceof String s) {
      for (FrequencyRule.Scope scope : FrequencyRule.Scope.values()) {
        if (scope.wireName().equals(s)) {
          return scope;
        }
      }
    }
    throw in.invalid("scope", "must be one of global, group, loop");
  }

  private static Period period(FieldReader in) {
    Object value = in.raw("period");
    if (value == null) {
      throw in.invalid("period", "is required");
    }
    try {
      return Period.parse(value);
    } catch (IllegalArgumentException e) {
      String reason = e.getMessage().toLowerCase(Locale.ROOT);
      throw in.invalid(reason.startsWith("rolling_seconds") ? "period.rolling_seconds" : "period", e.getMessage());
    }
  }
}
