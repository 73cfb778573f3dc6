package viralengine.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.auth.ApiToken;
import viralengine.auth.RateLimit;
import viralengine.auth.Scope;
import viralengine.auth.TokenSet;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API tokens from every configuration form, each with a name, scopes and a rate limit:
 * <ul>
 *   <li>{@code auth.api_tokens}: objects {@code {name, scopes, sha256, rate_limit_per_second?, rate_limit_burst?}};</li>
 *   <li>{@code auth.token_sha256}: bare hashes (the old form), named {@code hash-1, hash-2, ...} in list order,
 *       with scopes decide and observe;</li>
 *   <li>{@code ORCHESTRATOR_API_TOKENS} ({@code auth.tokens}): comma-separated {@code name:scope+scope:token}, or a
 *       bare token (the old form), named {@code token-1, token-2, ...} by position, with decide and observe.</li>
 * </ul>
 * Errors name the key and the entry's position or name, never a token.
 */
final class Tokens {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  /** {@code name:scopes:token}, where scopes are lower-case words joined by '+'. */
  private static final Pattern NAMED = Pattern.compile("([^:]+):([a-z]+(?:\\+[a-z]+)*):(.+)", Pattern.DOTALL);
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  private static final Set<String> ENTRY_KEYS = Set.of("name", "scopes", "sha256", "rate_limit_per_second", "rate_limit_burst");

  private Tokens() {}

  static List<ApiToken> from(Settings s) {
    RateLimit defaults = rateLimit("auth", s.number("auth.rate_limit_per_second", 0, 0, 1_000_000),
        s.number("auth.rate_limit_burst", 0, 0, 1_000_000));
    List<ApiToken> tokens = new ArrayList<>();
    tokens.addAll(objects(s.raw("auth.api_tokens"), defaults));
    List<String> hashes = s.strings("auth.token_sha256", List.of(), 1_000, true, SHA256_HEX,
        "a lower-case hex SHA-256 (64 characters)");
    for (int i = 0; i < hashes.size(); i++) {
      tokens.add(new ApiToken("hash-" + (i + 1), TokenSet.DEFAULT_SCOPES, hashes.get(i), defaults));
    }
    tokens.addAll(plain(s.raw("auth.tokens", "ORCHESTRATOR_API_TOKENS"), defaults));
    return unique(tokens);
  }

  private static List<ApiToken> objects(Object raw, RateLimit defaults) {
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray array)) {
      throw new ConfigException("auth.api_tokens", "must be a list of {name, scopes, sha256} objects");
    }
    List<ApiToken> tokens = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String key = "auth.api_tokens[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject entry)) {
        throw new ConfigException(key, "must be an object {name, scopes, sha256}");
      }
      for (String field : entry.fieldNames()) {
        if (!ENTRY_KEYS.contains(field)) {
          throw new ConfigException(key + "." + field, "unknown key (known: " + ENTRY_KEYS + ")");
        }
      }
      String name = name(key + ".name", "", entry.getValue("name"));
      if (!(entry.getValue("sha256") instanceof String hash) || !SHA256_HEX.matcher(hash).matches()) {
        throw new ConfigException(key + ".sha256", "must be a lower-case hex SHA-256 (64 characters)");
      }
      if (!(entry.getValue("scopes") instanceof JsonArray scopes)) {
        throw new ConfigException(key + ".scopes", "must be a list of scopes such as [\"decide\", \"observe\"]");
      }
      List<String> words = new ArrayList<>();
      scopes.forEach(w -> words.add(String.valueOf(w)));
      RateLimit limit = entry.containsKey("rate_limit_per_second") || entry.containsKey("rate_limit_burst")
          ? rateLimit(key, whole(key + ".rate_limit_per_second", entry.getValue("rate_limit_per_second")),
              whole(key + ".rate_limit_burst", entry.getValue("rate_limit_burst")))
          : defaults;
      tokens.add(new ApiToken(name, scopes(key + ".scopes", "", words), hash, limit));
    }
    return tokens;
  }

  private static List<ApiToken> plain(Object raw, RateLimit defaults) {
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof String list)) {
      throw new ConfigException("auth.tokens", "must be a comma-separated string (set ORCHESTRATOR_API_TOKENS)");
    }
    List<ApiToken> tokens = new ArrayList<>();
    int position = 0;
    for (String part : list.split(",")) {
      String entry = part.trim();
      if (entry.isEmpty()) {
        continue;
      }
      position++;
      Matcher named = NAMED.matcher(entry);
      String where = "entry " + position + ": ";
      if (named.matches()) {
        String name = name("auth.tokens", where, named.group(1));
        Set<Scope> scopes = scopes("auth.tokens", where, List.of(named.group(2).split("\\+")));
        tokens.add(new ApiToken(name, scopes, TokenSet.sha256Hex(checked(where, named.group(3))), defaults));
      } else {
        tokens.add(new ApiToken("token-" + position, TokenSet.DEFAULT_SCOPES, TokenSet.sha256Hex(checked(where, entry)), defaults));
      }
    }
    return tokens;
  }

  private static String checked(String where, String token) {
    if (token.length() < AppConfig.MIN_TOKEN_LENGTH || !viralengine.rpc.Params.VISIBLE_ASCII.matcher(token).matches()) {
      throw new ConfigException("auth.tokens", where + "every token must be at least " + AppConfig.MIN_TOKEN_LENGTH
          + " visible ASCII characters (the value is not shown)");
    }
    return token;
  }

  private static String name(String key, String where, Object value) {
    if (!(value instanceof String name) || !NAME.matcher(name).matches()) {
      throw new ConfigException(key, where + "a token name must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }
    return name;
  }

  private static Set<Scope> scopes(String key, String where, List<String> words) {
    if (words.isEmpty()) {
      throw new ConfigException(key, where + "must name at least one scope of decide, admin, observe");
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (String word : words) {
      scopes.add(Scope.parse(word).orElseThrow(() ->
          new ConfigException(key, where + "unknown scope '" + word + "' (known: decide, admin, observe)")));
    }
    return scopes;
  }

  private static long whole(String key, Object value) {
    if (value == null) {
      return 0;
    }
    if (value instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= 0 && n.longValue() <= 1_000_000) {
      return n.longValue();
    }
    throw new ConfigException(key, "must be a whole number between 0 and 1000000, got '" + value + "'");
  }

  /** Per second 0 means no limit; a burst of 0 means one second's worth (at least 1). */
  private static RateLimit rateLimit(String key, long perSecond, long burst) {
    if (perSecond == 0) {
      if (burst > 0) {
        throw new ConfigException(key + ".rate_limit_burst", "needs rate_limit_per_second above 0");
      }
      return RateLimit.NONE;
    }
    return new RateLimit(perSecond, (int) (burst == 0 ? perSecond : burst));
  }

  private static List<ApiToken> unique(List<ApiToken> tokens) {
    Set<String> names = new HashSet<>();
    Set<String> hashes = new HashSet<>();
    for (ApiToken token : tokens) {
      if (!names.add(token.name())) {
        throw new ConfigException("auth", "the token name '" + token.name() + "' is used twice");
      }
      if (!hashes.add(token.sha256())) {
        throw new ConfigException("auth", "the token named '" + token.name() + "' is configured twice");
      }
    }
    return List.copyOf(tokens);
  }
}
