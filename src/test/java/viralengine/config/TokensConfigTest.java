package viralengine.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.auth.ApiToken;
import viralengine.auth.RateLimit;
import viralengine.auth.Scope;
import viralengine.auth.TokenSet;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Token names, scopes and rate limits in every configuration form, and the connection limits. */
class TokensConfigTest {
  static final String HASH = TokenSet.sha256Hex("file-token-0123456789");

  static List<ApiToken> tokens(JsonObject config) {
    return AppConfig.from(config).security().tokens();
  }

  static ApiToken named(List<ApiToken> tokens, String name) {
    return tokens.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name + " in " + tokens));
  }

  static ConfigException refused(JsonObject config) {
    return assertThrows(ConfigException.class, () -> AppConfig.from(config));
  }

  @Test
  void aNamedEnvironmentEntryGivesItsNameAndScopes() {
    List<ApiToken> tokens = tokens(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "ops:admin+decide+observe:s3cret-0123456789abcdef"));
    ApiToken ops = named(tokens, "ops");
    assertEquals(Set.of(Scope.ADMIN, Scope.DECIDE, Scope.OBSERVE), ops.scopes());
    assertEquals(TokenSet.sha256Hex("s3cret-0123456789abcdef"), ops.sha256());
    assertFalse(tokens.toString().contains("s3cret"), "the token itself is not kept");
  }

  @Test
  void aBareEnvironmentTokenKeepsDecideAndObserveAndIsNamedByPosition() {
    List<ApiToken> tokens = tokens(new JsonObject().put("ORCHESTRATOR_API_TOKENS",
        "first-token-0123456789, ops:admin:second-token-0123456789 ,third-token-0123456789"));
    assertEquals(Set.of(Scope.DECIDE, Scope.OBSERVE), named(tokens, "token-1").scopes());
    assertEquals(Set.of(Scope.ADMIN), named(tokens, "ops").scopes());
    assertEquals(TokenSet.sha256Hex("third-token-0123456789"), named(tokens, "token-3").sha256());
  }

  @Test
  void aColonInsideABareTokenIsNotMistakenForAName() {
    List<ApiToken> tokens = tokens(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "abc:DEF:ghi-0123456789abcdef"));
    assertEquals("token-1", tokens.get(0).name());
    assertEquals(TokenSet.sha256Hex("abc:DEF:ghi-0123456789abcdef"), tokens.get(0).sha256());
  }

  @Test
  void hashedFileEntriesCarryNameScopesAndRateLimit() {
    List<ApiToken> tokens = tokens(new JsonObject().put("auth", new JsonObject()
        .put("rate_limit_per_second", 10)
        .put("api_tokens", new JsonArray()
            .add(new JsonObject().put("name", "ci").put("scopes", new JsonArray().add("decide")).put("sha256", HASH)
                .put("rate_limit_per_second", 5).put("rate_limit_burst", 20))
            .add(new JsonObject().put("name", "grafana").put("scopes", new JsonArray().add("observe"))
                .put("sha256", TokenSet.sha256Hex("grafana-token-0123456789"))))
        .put("token_sha256", new JsonArray().add(TokenSet.sha256Hex("legacy-token-0123456789")))));
    assertEquals(Set.of(Scope.DECIDE), named(tokens, "ci").scopes());
    assertEquals(new RateLimit(5, 20), named(tokens, "ci").rateLimit());
    assertEquals(new RateLimit(10, 10), named(tokens, "grafana").rateLimit(), "the default limit, burst one second's worth");
    assertEquals(Set.of(Scope.DECIDE, Scope.OBSERVE), named(tokens, "hash-1").scopes(), "the old hash list keeps decide+observe");
  }

  @Test
  void noRateLimitByDefault() {
    assertEquals(RateLimit.NONE, tokens(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "first-token-0123456789")).get(0).rateLimit());
  }

  @Test
  void anUnknownScopeIsRefusedNamingTheKeyButNotTheToken() {
    ConfigException e = refused(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "ops:admn+decide:s3cret-0123456789abcdef"));
    assertTrue(e.getMessage().startsWith("config auth.tokens:"), e.getMessage());
    assertTrue(e.getMessage().contains("unknown scope 'admn'"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
  }

  @Test
  void aNamedEntryWithAWeakTokenIsRefused() {
    ConfigException e = refused(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "ops:decide:short"));
    assertTrue(e.getMessage().contains("entry 1"), e.getMessage());
    assertFalse(e.getMessage().contains("short"), e.getMessage());
  }

  @Test
  void fileEntriesAreValidatedFieldByField() {
    JsonObject good = new JsonObject().put("name", "ci").put("scopes", new JsonArray().add("decide")).put("sha256", HASH);
    assertEquals("config auth.api_tokens[0].sha256", prefix(refused(file(good.copy().put("sha256", "ABC")))));
    assertEquals("config auth.api_tokens[0].name", prefix(refused(file(good.copy().put("name", "bad name")))));
    assertEquals("config auth.api_tokens[0].scopes", prefix(refused(file(good.copy().put("scopes", new JsonArray())))));
    assertEquals("config auth.api_tokens[0].scopes", prefix(refused(file(good.copy().put("scopes", new JsonArray().add("root"))))));
    assertEquals("config auth.api_tokens[0].token", prefix(refused(file(good.copy().put("token", "x")))));
    assertEquals("config auth.api_tokens[0].rate_limit_per_second",
        prefix(refused(file(good.copy().put("rate_limit_per_second", -1)))));
    assertEquals("config auth.api_tokens[0].rate_limit_burst",
        prefix(refused(file(good.copy().put("rate_limit_burst", 5)))));
    assertEquals("config auth.api_tokens", prefix(refused(new JsonObject().put("auth", new JsonObject().put("api_tokens", "x")))));
  }

  @Test
  void aNameOrTokenConfiguredTwiceIsRefused() {
    JsonObject one = new JsonObject().put("name", "ci").put("scopes", new JsonArray().add("decide")).put("sha256", HASH);
    assertTrue(refused(new JsonObject().put("auth", new JsonObject().put("api_tokens", new JsonArray().add(one).add(one.copy()
        .put("sha256", TokenSet.sha256Hex("other-token-0123456789")))))).getMessage().contains("'ci' is used twice"));
    assertTrue(refused(file(one).put("ORCHESTRATOR_API_TOKENS", "file-token-0123456789")).getMessage().contains("configured twice"));
  }

  @Test
  void connectionLimitsDefaultAndAreBounded() {
    AppConfig.Connections c = AppConfig.from(new JsonObject()).connections();
    assertEquals(10_000, c.headTimeoutMs());
    assertEquals(10_000, c.bodyTimeoutMs());
    assertEquals(60_000, c.idleTimeoutMs());
    assertTrue(c.maxConnections() >= 16 && c.maxConnections() < AppConfig.descriptorLimit(), "sized from the descriptor limit: " + c);
    assertEquals(7, AppConfig.from(new JsonObject().put("http", new JsonObject().put("max_connections", 7))).connections().maxConnections());
    assertEquals("config http.max_connections", prefix(refused(new JsonObject().put("http",
        new JsonObject().put("max_connections", AppConfig.descriptorLimit() + 1)))));
    assertEquals("config http.request_head_timeout_ms", prefix(refused(new JsonObject().put("http",
        new JsonObject().put("request_head_timeout_ms", 0)))));
    assertEquals(250, AppConfig.from(new JsonObject().put("HTTP_REQUEST_BODY_TIMEOUT_MS", "250")).connections().bodyTimeoutMs());
  }

  static JsonObject file(JsonObject entry) {
    return new JsonObject().put("auth", new JsonObject().put("api_tokens", new JsonArray().add(entry)));
  }

  static String prefix(ConfigException e) {
    return e.getMessage().substring(0, e.getMessage().indexOf(':'));
  }
}
