package viralengine.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agents.* keys: defaults, the environment's three-level names, and a startup error naming each bad key. */
class AgentsConfigTest {
  static AppConfig with(JsonObject agents) {
    return AppConfig.from(new JsonObject().put("agents", agents));
  }

  static String error(JsonObject merged) {
    return assertThrows(ConfigException.class, () -> AppConfig.from(merged)).getMessage();
  }

  @Test
  void byDefaultEveryAgentIsBuiltInWithTheContractsBudgets() {
    AgentSettings agents = AppConfig.from(new JsonObject()).agents();
    assertNull(agents.trustSafety().url());
    assertFalse(agents.personalization().remote());
    assertEquals(40, agents.trustSafety().timeoutMs());
    assertEquals(50, agents.personalization().timeoutMs());
    assertEquals(30, agents.incentives().timeoutMs());
    assertEquals(2, agents.maxCandidates());
    assertEquals("block_minors", agents.onFailure());
  }

  @Test
  void aRemoteAgentHasItsUrlAndATokenFromTheEnvironmentThatNothingPrints() {
    String token = "s3cret-token-for-the-llm-agent";
    AppConfig config = AppConfig.from(new JsonObject()
        .put("agents", new JsonObject().put("personalization", new JsonObject().put("url", "https://llm.example.com/")))
        .put("AGENTS_PERSONALIZATION_TOKEN", token)
        .put("AGENTS_INCENTIVES_TIMEOUT_MS", "25"));
    AgentSettings.Agent personalization = config.agents().personalization();
    assertEquals("https://llm.example.com", personalization.url());
    assertEquals(token, personalization.token());
    assertEquals(25, config.agents().incentives().timeoutMs());
    assertFalse(config.toString().contains(token), "the token is a secret");
    assertTrue(AgentSettings.keys().contains("agents.personalization.token"), "read from AGENTS_PERSONALIZATION_TOKEN");
  }

  @Test
  void aBadValueStopsTheStartNamingItsKey() {
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("trust_safety",
        new JsonObject().put("on_failure", "shrug")))).startsWith("config agents.trust_safety.on_failure: must be one of"));
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("trust_safety",
        new JsonObject().put("max_candidates", 0)))).startsWith("config agents.trust_safety.max_candidates: must be between"));
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("incentives",
        new JsonObject().put("timeout_ms", 0)))).startsWith("config agents.incentives.timeout_ms: must be between"));
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("personalization",
        new JsonObject().put("url", "ftp://x")))).startsWith("config agents.personalization.url: must be an absolute"));
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("personalization",
        new JsonObject().put("url", "https://user:pw@x.example.com")))).startsWith("config agents.personalization.url:"));
    String tokenWithoutUrl = error(new JsonObject().put("AGENTS_INCENTIVES_TOKEN", "abcdefghijklmnop"));
    assertTrue(tokenWithoutUrl.startsWith("config agents.incentives.token: is sent to a remote agent only"), tokenWithoutUrl);
    String badToken = error(new JsonObject().put("agents", new JsonObject().put("incentives", new JsonObject()
        .put("url", "http://127.0.0.1:9").put("token", "has space"))));
    assertTrue(badToken.startsWith("config agents.incentives.token:") && !badToken.contains("has space"), badToken);
  }

  @Test
  void anUnknownAgentOrKeyStopsTheStart() {
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("billing", new JsonObject())))
        .startsWith("config agents.billing: unknown agent"));
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("incentives",
        new JsonObject().put("max_candidates", 3)))).startsWith("config agents.incentives.max_candidates: unknown key"));
    assertTrue(error(new JsonObject().put("agents", new JsonObject().put("incentives", "on")))
        .startsWith("config agents.incentives: must be an object"));
  }
}
