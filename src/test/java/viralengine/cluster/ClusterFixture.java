package viralengine.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Cluster-mode settings for N nodes on loopback (free ports, a cluster name of their own) and waits on their health. */
final class ClusterFixture {
  private ClusterFixture() {}

  /** The {@code cluster} overrides of {@code count} nodes that list each other: a name no other run uses, free ports. */
  static List<JsonObject> nodes(int count) {
    String name = "test-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = new ArrayList<>();
    JsonArray members = new JsonArray();
    for (int i = 0; i < count; i++) {
      int port = TestService.freePort();
      ports.add(port);
      members.add("127.0.0.1:" + port);
    }
    List<JsonObject> nodes = new ArrayList<>();
    for (int port : ports) {
      // Relaxed timing: a slow flush on a busy machine spools the batch, and the spool (per node) cannot see
      // PostgreSQL's request_ids, so a repeat would not be recognised; that is the durability path's concern, not this one's.
      nodes.add(TestService.relaxedTiming().put("cluster", new JsonObject().put("enabled", true).put("name", name)
          .put("host", "127.0.0.1").put("port", port).put("members", members.copy())));
    }
    return nodes;
  }

  /** Waits (up to 20 s) until every node's owner table is stable with {@code owners} owners. */
  static void awaitOwners(int owners, TestService... nodes) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (TestService node : nodes) {
      while (true) {
        JsonObject table = cluster(node).getJsonObject("owners");
        if (table.getInteger("owner_count") == owners && "stable".equals(table.getString("state"))) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the owner table never settled at " + owners + " owners: " + table);
        }
        TestService.await(node.vertx.timer(20));
      }
    }
  }

  static JsonObject cluster(TestService node) {
    return node.get("/mcp/orchestrator/health").bodyAsJsonObject().getJsonObject("cluster");
  }

  static JsonObject affinity(TestService node) {
    return cluster(node).getJsonObject("affinity");
  }

  /** The first learner id {@code prefix-<n>} that {@code node} owns. */
  static String userOwnedBy(TestService node, String prefix) {
    String self = node.service.cluster().nodeId();
    for (int i = 0; ; i++) {
      String user = prefix + "-" + UUID.randomUUID().toString().substring(0, 8) + "-" + i;
      if (self.equals(node.service.cluster().ownerOf(user))) {
        return user;
      }
    }
  }
}
