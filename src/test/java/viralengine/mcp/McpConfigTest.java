package viralengine.mcp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.config.AppConfig;
import viralengine.config.ConfigException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code mcp.*} keys: defaults, the three sources, and validation that names the key. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class McpConfigTest {

  private static AppConfig.Mcp mcp(JsonObject merged) {
    return AppConfig.from(merged).mcp();
  }

  @Test
  void theDefaultsAreTheLoopbackNamesWithAnyPort() {
    AppConfig.Mcp mcp = mcp(new JsonObject());
    assertEquals(List.of("localhost", "127.0.0.1", "[::1]"), mcp.allowedHosts());
    assertEquals(List.of("http://localhost", "https://localhost", "http://127.0.0.1", "https://127.0.0.1", "http://[::1]", "https://[::1]"),
        mcp.allowedOrigins());
  }

  @Test
  void theShippedConfigFileHoldsTheDefaults() throws Exception {
    JsonObject file = new JsonObject(Files.readString(Path.of("conf/config.json")));
    AppConfig.Mcp fromFile = mcp(file);
    assertEquals(mcp(new JsonObject()), fromFile);
  }

  @Test
  void theFileTakesJsonArrays() {
    AppConfig.Mcp mcp = mcp(new JsonObject().put("mcp", new JsonObject()
        .put("allowed_hosts", new JsonArray().add("api.example.com").add(" localhost:4001 "))
        .put("allowed_origins", new JsonArray().add("https://app.example.com"))));
    assertEquals(List.of("api.example.com", "localhost:4001"), mcp.allowedHosts());
    assertEquals(List.of("https://app.example.com"), mcp.allowedOrigins());
  }

  @Test
  void theEnvironmentTakesACommaSeparatedListAndSystemPropertiesWin() {
    JsonObject merged = new JsonObject().put("MCP_ALLOWED_HOSTS", "api.example.com, localhost");
    assertEquals(List.of("api.example.com", "localhost"), mcp(merged).allowedHosts());
    merged.put("mcp.allowed_hosts", "only.example.com");
    assertEquals(List.of("only.example.com"), mcp(merged).allowedHosts());
  }

  @Test
  void anEmptyOriginListIsAllowedAndMeansNoBrowserOrigin() {
    assertEquals(List.of(), mcp(new JsonObject().put("MCP_ALLOWED_ORIGINS", " ")).allowedOrigins());
  }

  @Test
  void anEmptyHostListIsRejected() {
    ConfigException e = assertThrows(ConfigException.class, () -> mcp(new JsonObject().put("MCP_ALLOWED_HOSTS", ",")));
    assertEquals("config mcp.allowed_hosts: must not be empty", e.getMessage());
  }

  @Test
  void anOriginWithAPathIsRejectedNamingTheKey() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> mcp(new JsonObject().put("MCP_ALLOWED_ORIGINS", "http://localhost/app")));
    assertEquals("config mcp.allowed_origins: each entry must be an origin such as http://localhost:4001, got 'http://localhost/app'",
        e.getMessage());
  }

  @Test
  void aHostWithASchemeIsRejected() {
    ConfigException e = assertThrows(ConfigException.class, () -> mcp(new JsonObject().put("MCP_ALLOWED_HOSTS", "http://localhost")));
    assertTrue(e.getMessage().startsWith("config mcp.allowed_hosts: each entry must be a host"), e.getMessage());
  }

  @Test
  void aListOfNonStringsIsRejected() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> mcp(new JsonObject().put("mcp", new JsonObject().put("allowed_hosts", new JsonArray().add(5)))));
    assertEquals("config mcp.allowed_hosts: must be a list of strings, got '5'", e.getMessage());
    assertThrows(ConfigException.class, () -> mcp(new JsonObject().put("mcp", new JsonObject().put("allowed_hosts", 5))));
  }

  @Test
  void moreThan64EntriesAreRejected() {
    JsonArray many = new JsonArray();
    for (int i = 0; i < 65; i++) {
      many.add("host" + i + ".example.com");
    }
    ConfigException e = assertThrows(ConfigException.class,
        () -> mcp(new JsonObject().put("mcp", new JsonObject().put("allowed_hosts", many))));
    assertEquals("config mcp.allowed_hosts: must have at most 64 entries, got 65", e.getMessage());
  }

  @Test
  void anUnknownMcpKeyIsRejected() {
    assertThrows(ConfigException.class, () -> AppConfig.from(new JsonObject().put("mcp", new JsonObject().put("allowed_host", "x"))));
  }
}
