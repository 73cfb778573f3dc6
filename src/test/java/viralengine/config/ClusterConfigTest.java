package viralengine.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterConfigTest {

  static final String DB = "postgresql://u@h:5432/d";

  static Cluster cluster(JsonObject section) {
    return AppConfig.from(new JsonObject().put("DATABASE_URL", DB).put("cluster", section)).cluster();
  }

  static String error(JsonObject merged) {
    return assertThrows(ConfigException.class, () -> AppConfig.from(merged)).getMessage();
  }

  @Test
  void offByDefaultWithTenSecondHeartbeats() {
    Cluster cluster = AppConfig.from(new JsonObject()).cluster();
    assertFalse(cluster.enabled());
    assertEquals("viral-engine", cluster.name());
    assertEquals("127.0.0.1", cluster.host());
    assertEquals(5701, cluster.port());
    assertEquals(0, cluster.eventBusPort());
    assertEquals(List.of(), cluster.members());
    assertNull(cluster.dnsName());
    assertEquals(10, cluster.heartbeatTimeoutSeconds());
  }

  @Test
  void membersGetTheClusterPortWhenTheyHaveNone() {
    Cluster cluster = cluster(new JsonObject().put("enabled", true).put("port", 6000)
        .put("members", new JsonArray().add("10.0.0.2").add("10.0.0.3:7000").add("[fdaa::3]").add("[fdaa::4]:7001")));
    assertEquals(List.of("10.0.0.2:6000", "10.0.0.3:7000", "[fdaa::3]:6000", "[fdaa::4]:7001"), cluster.members());
    assertTrue(cluster.fixedMembers());
  }

  @Test
  void everyKeyComesFromTheEnvironmentToo() {
    Cluster cluster = AppConfig.from(new JsonObject().put("DATABASE_URL", DB).put("CLUSTER_ENABLED", "true").put("CLUSTER_NAME", "prod")
        .put("CLUSTER_HOST", "10.1.2.3").put("CLUSTER_PORT", "5801").put("CLUSTER_EVENT_BUS_PORT", "5802")
        .put("CLUSTER_DNS_NAME", "my-app.internal").put("CLUSTER_HEARTBEAT_TIMEOUT_SECONDS", "20")).cluster();
    assertEquals(new Cluster(true, "prod", "10.1.2.3", 5801, 5802, List.of(), "my-app.internal", 20), cluster);
    assertFalse(cluster.fixedMembers());
    assertEquals(List.of("10.0.0.9:5701", "10.0.0.8:5701"), AppConfig.from(new JsonObject()
        .put("CLUSTER_MEMBERS", "10.0.0.9, 10.0.0.8")).cluster().members());
  }

  @Test
  void flyPrivateIpIsTheHostUnlessClusterHostIsSet() {
    assertEquals("fdaa:0:1::2", AppConfig.from(new JsonObject().put("FLY_PRIVATE_IP", "fdaa:0:1::2")).cluster().host());
    assertEquals("10.0.0.1", AppConfig.from(new JsonObject().put("FLY_PRIVATE_IP", "fdaa:0:1::2")
        .put("CLUSTER_HOST", "10.0.0.1")).cluster().host());
  }

  @Test
  void badValuesNameTheirKey() {
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("host", "my-host")))
        .startsWith("config cluster.host: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("host", "300.1.1.1")))
        .startsWith("config cluster.host: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("name", "bad name")))
        .startsWith("config cluster.name: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("port", 0))).startsWith("config cluster.port: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("heartbeat_timeout_seconds", 1)))
        .startsWith("config cluster.heartbeat_timeout_seconds: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("members", new JsonArray().add("a b"))))
        .startsWith("config cluster.members: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("dns_name", "-bad-")))
        .startsWith("config cluster.dns_name: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("enabled", "yes")))
        .startsWith("config cluster.enabled: "));
    assertTrue(error(new JsonObject().put("cluster", new JsonObject().put("gossip", true)))
        .startsWith("config cluster.gossip: unknown key"));
  }

  @Test
  void enabledNeedsASharedDatabase() {
    assertEquals("config cluster.enabled: needs database.url (DATABASE_URL): every node must share one PostgreSQL",
        error(new JsonObject().put("cluster", new JsonObject().put("enabled", true).put("members", new JsonArray().add("10.0.0.1")))));
  }

  @Test
  void enabledNeedsExactlyOneWayToFindPeers() {
    assertTrue(error(new JsonObject().put("DATABASE_URL", DB).put("cluster", new JsonObject().put("enabled", true)))
        .startsWith("config cluster.members: set exactly one of"));
    assertTrue(error(new JsonObject().put("DATABASE_URL", DB).put("cluster", new JsonObject().put("enabled", true).put("dns_name", "a.internal")
        .put("members", new JsonArray().add("10.0.0.1")))).startsWith("config cluster.dns_name: set exactly one of"));
  }
}
