package viralengine.cluster;

import io.vertx.core.json.JsonObject;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** N real JARs (N JVMs) in one cluster on loopback: free ports, a cluster name of their own, one test database. */
final class ClusterProcesses implements AutoCloseable {
  final List<ServiceProcess> nodes = new ArrayList<>();

  static ClusterProcesses start(String name, int count, Map<String, String> extra) throws Exception {
    String cluster = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ports.add(TestService.freePort());
    }
    String members = String.join(",", ports.stream().map(port -> "127.0.0.1:" + port).toList());
    ClusterProcesses processes = new ClusterProcesses();
    for (int i = 0; i < count; i++) {
      Map<String, String> env = new HashMap<>(Map.of("SPOOL_DIR", TestService.newSpoolDir(),
          "CLUSTER_ENABLED", "true", "CLUSTER_NAME", cluster, "CLUSTER_HOST", "127.0.0.1",
          "CLUSTER_PORT", Integer.toString(ports.get(i)), "CLUSTER_MEMBERS", members,
          // Decisions, not the SLA, are under test: a loaded machine must not turn into degraded answers.
          "ORCHESTRATOR_TIMEOUT_MS", "2000", "SPOOL_FLUSH_TIMEOUT_MS", "2000", "ORCHESTRATOR_LOOPS_REFRESH_MS", "100",
          "CIRCUIT_BREAKER_MINIMUM_CALLS", "100000"));
      env.putAll(extra);
      processes.nodes.add(ServiceProcess.start(name + "-" + i + "-it", env));
    }
    for (ServiceProcess node : processes.nodes) {
      node.awaitReady(90);
    }
    processes.awaitOwners(count, processes.nodes);
    return processes;
  }

  /** Waits (up to 30 s) until each of {@code alive} sees a stable table of {@code owners} owners. */
  void awaitOwners(int owners, List<ServiceProcess> alive) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (ServiceProcess node : alive) {
      while (true) {
        JsonObject table = cluster(node).getJsonObject("owners");
        if (table.getInteger("owner_count") == owners && "stable".equals(table.getString("state"))) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the owner table never settled at " + owners + " owners: " + table);
        }
        Thread.sleep(20);
      }
    }
  }

  static JsonObject cluster(ServiceProcess node) throws Exception {
    return node.health().getJsonObject("cluster");
  }

  static String nodeId(ServiceProcess node) throws Exception {
    return cluster(node).getString("node_id");
  }

  /** A learner that {@code owner} owns on the ring of {@code nodes}, computed as every node computes it. */
  static String learnerOwnedBy(String owner, List<String> ring, String prefix) {
    OwnerRing owners = OwnerRing.of(ring);
    for (int i = 0; ; i++) {
      String user = prefix + "-" + i;
      if (owner.equals(owners.owner(user))) {
        return user;
      }
    }
  }

  /** A JSON-RPC call over HTTP; the future holds the parsed response body, or fails if there was none. */
  static CompletableFuture<JsonObject> rpc(ServiceProcess node, String method, JsonObject params) {
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method).put("params", params);
    return ServiceProcess.HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + "/mcp/orchestrator"))
            .header("content-type", "application/json").timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(response -> new JsonObject(response.body()));
  }

  @Override
  public void close() {
    nodes.forEach(ServiceProcess::close);
  }
}
