package viralengine.mcp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.config.AppConfig;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DNS-rebinding allow-list, and the Accept rule, without a server. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class McpOriginPolicyTest {
  static final OriginPolicy DEFAULTS = OriginPolicy.of(AppConfig.from(new JsonObject()).mcp(), "0.0.0.0");

  private static HostAndPort host(String authority) {
    return HostAndPort.parseAuthority(authority, -1);
  }

  @Test
  void loopbackOriginsAreAllowedOnAnyPortOverHttpAndHttps() {
    for (String origin : List.of("http://localhost", "http://localhost:5173", "https://127.0.0.1:8443", "http://[::1]:4001", "HTTP://LocalHost:3000")) {
      assertTrue(DEFAULTS.allowsOrigin(origin), origin);
    }
  }

  @Test
  void foreignLookalikeAndOpaqueOriginsAreRejected() {
    for (String origin : List.of("https://evil.example", "http://localhost.evil.example", "http://127.0.0.2", "null", "file://",
        "http://localhost:5173/path", "ws://localhost", "")) {
      assertFalse(DEFAULTS.allowsOrigin(origin), origin);
    }
  }

  @Test
  void loopbackHostsAreAllowedOnAnyPortAndOthersAreNot() {
    assertTrue(DEFAULTS.allowsHost(host("localhost:4001")));
    assertTrue(DEFAULTS.allowsHost(host("127.0.0.1")));
    assertTrue(DEFAULTS.allowsHost(host("[::1]:4001")));
    assertTrue(DEFAULTS.allowsHost(host("LOCALHOST:80")));
    assertFalse(DEFAULTS.allowsHost(host("rebound.evil.example:4001")));
    assertFalse(DEFAULTS.allowsHost(null));
  }

  @Test
  void aWildcardBindAddsNothingButASpecificBindHostIsAllowed() {
    assertFalse(DEFAULTS.allowsHost(host("0.0.0.0:4001")));
    OriginPolicy bound = OriginPolicy.of(AppConfig.from(new JsonObject()).mcp(), "10.1.2.3");
    assertTrue(bound.allowsHost(host("10.1.2.3:4001")));
    assertTrue(bound.allowsOrigin("http://10.1.2.3:4001"));
    OriginPolicy ipv6 = OriginPolicy.of(AppConfig.from(new JsonObject()).mcp(), "fd00::1");
    assertTrue(ipv6.allowsHost(host("[fd00::1]:4001")));
  }

  @Test
  void anEntryWithAPortMatchesOnlyThatPort() {
    OriginPolicy policy = OriginPolicy.of(AppConfig.from(new JsonObject().put("mcp", new JsonObject()
        .put("allowed_hosts", new JsonArray().add("api.example.com:443"))
        .put("allowed_origins", new JsonArray().add("https://app.example.com:8443")))).mcp(), "0.0.0.0");
    assertTrue(policy.allowsHost(host("api.example.com:443")));
    assertFalse(policy.allowsHost(host("api.example.com:4001")));
    assertFalse(policy.allowsHost(host("api.example.com")));
    assertTrue(policy.allowsOrigin("https://app.example.com:8443"));
    assertFalse(policy.allowsOrigin("https://app.example.com"));
    assertFalse(policy.allowsOrigin("http://app.example.com:8443"));
    assertFalse(policy.allowsHost(host("localhost:4001")), "the list replaces the defaults");
  }

  @Test
  void theAcceptRuleNeedsJsonAndEventStream() {
    assertTrue(McpEndpoint.acceptsJsonAndEventStream("application/json, text/event-stream"));
    assertTrue(McpEndpoint.acceptsJsonAndEventStream("text/event-stream;q=0.5, application/json;q=0.9"));
    assertTrue(McpEndpoint.acceptsJsonAndEventStream("*/*"));
    assertTrue(McpEndpoint.acceptsJsonAndEventStream("application/*, text/*"));
    assertFalse(McpEndpoint.acceptsJsonAndEventStream(null));
    assertFalse(McpEndpoint.acceptsJsonAndEventStream("application/json"));
    assertFalse(McpEndpoint.acceptsJsonAndEventStream("application/json, text/event-stream;q=0"));
    assertFalse(McpEndpoint.acceptsJsonAndEventStream("application/json, text/event-stream;q=oops"));
  }
}
