package viralengine.cluster;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import viralengine.support.ServiceProcess;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.ServiceProcess.rows;

/**
 * Three nodes of the real JAR under load: one is killed with SIGKILL, then one of the two left is frozen with
 * SIGSTOP. Every answered decision is in PostgreSQL exactly once; a caller that retries with the same
 * request_id gets one answer; the survivors decide the lost node's learners within a bounded time (printed,
 * and recorded in bench/RESULTS.md); a frozen node is removed within the heartbeat timeout.
 */
@Timeout(value = 115, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {
  static final int IN_FLIGHT = 8;
  static final int HEARTBEAT_SECONDS = 5;
  static ClusterProcesses cluster;
  static final Map<String, JsonObject> answers = new ConcurrentHashMap<>();
  /** The learner each request id was sent for: a retry repeats the same params. */
  static final Map<String, String> learners = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcesses.start("failover", 3, Map.of("CLUSTER_HEARTBEAT_TIMEOUT_SECONDS", Integer.toString(HEARTBEAT_SECONDS)));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  @Order(1)
  void aKillMinus9UnderLoadLosesNoAnsweredDecisionAndTheSurvivorsTakeOverItsLearners() throws Exception {
    List<ServiceProcess> survivors = cluster.nodes.subList(0, 2);
    ServiceProcess victim = cluster.nodes.get(2);
    List<String> ring = new ArrayList<>();
    for (ServiceProcess node : cluster.nodes) {
      ring.add(ClusterProcesses.nodeId(node));
    }
    String orphan = ClusterProcesses.learnerOwnedBy(ring.get(2), ring, "kill-orphan");
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Integer> load = load("cluster-k9", survivors, orphan, stop);
    Thread.sleep(1_500);
    victim.process.destroyForcibly();
    long killed = System.nanoTime();
    long takeoverMs = firstDecisionMs(survivors.get(0), orphan, killed);
    cluster.awaitOwners(2, survivors);
    long ringMs = (System.nanoTime() - killed) / 1_000_000;
    Thread.sleep(1_000);
    stop.set(true);
    int sent = load.get(60, TimeUnit.SECONDS);
    System.out.printf("kill -9: the orphaned learner was decided again after %d ms; both survivors' rings settled after %d ms%n",
        takeoverMs, ringMs);
    assertTrue(takeoverMs < 5_000, "the survivors decide the dead node's learners within 5 s: " + takeoverMs);
    checkAnswered("cluster-k9", sent);
    checkRetries("cluster-k9", survivors);
  }

  @Test
  @Order(2)
  void aFrozenNodeIsRemovedWithinTheHeartbeatTimeoutAndNothingAnsweredIsLost() throws Exception {
    ServiceProcess alive = cluster.nodes.get(0);
    ServiceProcess frozen = cluster.nodes.get(1);
    List<String> ring = List.of(ClusterProcesses.nodeId(alive), ClusterProcesses.nodeId(frozen));
    String orphan = ClusterProcesses.learnerOwnedBy(ring.get(1), ring, "frozen-orphan");
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Integer> load = load("cluster-st", List.of(alive), orphan, stop);
    Thread.sleep(1_000);
    signal("STOP", frozen);
    long frozenAt = System.nanoTime();
    try {
      cluster.awaitOwners(1, List.of(alive));
      long removedMs = (System.nanoTime() - frozenAt) / 1_000_000;
      long takeoverMs = firstDecisionMs(alive, orphan, frozenAt);
      Thread.sleep(500);
      stop.set(true);
      int sent = load.get(60, TimeUnit.SECONDS);
      System.out.printf("SIGSTOP: removed after %d ms (heartbeat timeout %d s); its learner decided again after %d ms%n",
          removedMs, HEARTBEAT_SECONDS, takeoverMs);
      assertTrue(removedMs <= (HEARTBEAT_SECONDS + 3) * 1_000L, "removed within the heartbeat timeout: " + removedMs);
      assertEquals(1, ClusterProcesses.cluster(alive).getInteger("member_count"));
      checkAnswered("cluster-st", sent);
      checkRetries("cluster-st", List.of(alive));
    } finally {
      frozen.process.destroyForcibly(); // SIGKILL ends a stopped process too
    }
  }

  /** Milliseconds from {@code since} until a select_loop for {@code learner} on {@code node} is decided, not degraded. */
  static long firstDecisionMs(ServiceProcess node, String learner, long since) throws Exception {
    while (true) {
      JsonObject result = ClusterProcesses.rpc(node, "select_loop", new JsonObject().put("user_id", learner))
          .get(30, TimeUnit.SECONDS).getJsonObject("result");
      if (result != null && !result.getBoolean("degraded", false)) {
        return (System.nanoTime() - since) / 1_000_000;
      }
      Thread.sleep(20);
    }
  }

  /**
   * IN_FLIGHT trigger_event calls at a time (the prefix must be this class's own: other ITs share the run's database), over {@code nodes} in turn, for 20 learners and {@code orphan};
   * request ids {@code prefix-<n>}. Every answer (result or error) is kept; completes with the count sent.
   */
  static CompletableFuture<Integer> load(String prefix, List<ServiceProcess> nodes, String orphan, AtomicBoolean stop) {
    ExecutorService loader = Executors.newSingleThreadExecutor();
    CompletableFuture<Integer> done = CompletableFuture.supplyAsync(() -> {
      Semaphore slots = new Semaphore(IN_FLIGHT);
      List<CompletableFuture<JsonObject>> sent = new ArrayList<>();
      try {
        for (int i = 0; !stop.get(); i++) {
          slots.acquire();
          String requestId = prefix + "-" + i;
          String user = i % 3 == 0 ? orphan : prefix + "-learner-" + (i % 20);
          learners.put(requestId, user);
          sent.add(ClusterProcesses.rpc(nodes.get(i % nodes.size()), "trigger_event", new JsonObject()
                  .put("event_type", "practice_completed").put("user_id", user).put("request_id", requestId))
              .whenComplete((answer, err) -> {
                if (answer != null) {
                  answers.put(requestId, answer);
                }
                slots.release();
              }));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return sent.size();
    }, loader);
    done.whenComplete((n, e) -> loader.shutdown());
    return done;
  }

  /** Every answered decision (success or degraded) is in agent_decisions exactly once, under its request_id. */
  static void checkAnswered(String prefix, int sent) throws Exception {
    Set<String> answered = answers.entrySet().stream().filter(e -> e.getKey().startsWith(prefix + "-"))
        .filter(e -> e.getValue().containsKey("result"))
        .map(e -> e.getValue().getJsonObject("result").getString("decision_id")).collect(Collectors.toSet());
    assertTrue(answered.size() > 30, "the load ran: " + answered.size() + " answered of " + sent + "; e.g. " + answers.values().stream().findFirst().orElse(null));
    String ids = answered.stream().map(id -> "'" + id + "'").collect(Collectors.joining(","));
    assertEquals(answered.size(), rows("SELECT count(*) FROM agent_decisions WHERE decision_id::text IN (" + ids + ")"),
        "every answered decision is recorded");
    assertEquals(answered.size(), rows("SELECT count(*) FROM agent_decisions WHERE decision_id::text IN (" + ids + ")"
        + " AND request_id LIKE '" + prefix + "-%'"), "each under its own request_id, once");
  }

  /** A retry of every request, on a surviving node, gets the first answer; one never answered gets one answer twice. */
  static void checkRetries(String prefix, List<ServiceProcess> survivors) throws Exception {
    int i = 0;
    for (Map.Entry<String, JsonObject> first : answers.entrySet()) {
      if (!first.getKey().startsWith(prefix + "-") || i++ >= 300) {
        continue;
      }
      JsonObject params = new JsonObject().put("event_type", "practice_completed")
          .put("user_id", learners.get(first.getKey())).put("request_id", first.getKey());
      JsonObject retry = ClusterProcesses.rpc(survivors.get(i % survivors.size()), "trigger_event", params).get(30, TimeUnit.SECONDS);
      JsonObject again = ClusterProcesses.rpc(survivors.get((i + 1) % survivors.size()), "trigger_event", params).get(30, TimeUnit.SECONDS);
      assertEquals(summary(retry), summary(again), first.getKey());
      if (first.getValue().containsKey("result")) {
        assertEquals(summary(first.getValue()), summary(retry), "the retry gets the original answer: " + first.getKey());
      }
    }
  }

  /** The decision id of a result, or the code of an error: what "the same answer" compares. */
  static String summary(JsonObject response) {
    return response.containsKey("result") ? response.getJsonObject("result").getString("decision_id")
        : "error " + response.getJsonObject("error").getInteger("code");
  }

  static void signal(String name, ServiceProcess node) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(node.process.pid())).start().waitFor());
  }
}
