package viralengine.cluster;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.Calls;
import viralengine.support.Calls.Call;
import viralengine.support.OwnDatabase;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22, item 3: a node lost. Two clustered nodes (two JARs), warmed up; 8 callers send trigger_event to node 2
 * while node 1 is killed with kill -9. Node 2's breaker stays closed (0 open transitions), and calls fail (an error,
 * or an answer in the orchestrator's place) only while the ring settles: every failed call starts within
 * {@link #SETTLE_MS} of the kill, and none of the calls started after that fails. The settle time is measured and
 * printed. Today node 2's breaker opens and most trigger_event calls over the next seconds are refused (-32002).
 *
 * <p>The settle window is ClusterFailoverIT's bound for removing a lost node: the heartbeat timeout (5 s, as there)
 * plus 3 s. The nodes run the default SLA (150 ms) and breaker settings but one: reset_timeout_ms is 2 s, so that a
 * breaker that a cold start opened during the warm-up (item 1 of the issue, which today happens here too) closes
 * again before the kill, and what is measured is the node loss alone. The survivor's openings are counted from the
 * kill on.
 */
@Timeout(value = 115, unit = TimeUnit.SECONDS)
class NodeLossBreakerIT {
  static final int CALLERS = 8;
  static final int HEARTBEAT_SECONDS = 5;
  static final long SETTLE_MS = (HEARTBEAT_SECONDS + 3) * 1_000L;
  static final long AFTER_SETTLE_MS = 4_000;
  /** circuit_breaker.reset_timeout_ms, a key of today's breaker and of the new one: see the class comment. */
  static final long RESET_MS = 2_000;
  /** Each caller sends at most one call per this many ms. */
  static final long INTERVAL_MS = 20;

  @Test
  void killingOneNodeLeavesTheSurvivorsBreakerClosedAndCallsFailOnlyWhileTheRingSettles() throws Exception {
    OwnDatabase db = OwnDatabase.create();
    ClusterProcesses cluster = new ClusterProcesses();
    try {
      String name = "node-loss-" + UUID.randomUUID().toString().substring(0, 8);
      List<Integer> ports = List.of(TestService.freePort(), TestService.freePort());
      String members = String.join(",", ports.stream().map(port -> "127.0.0.1:" + port).toList());
      for (int i = 0; i < 2; i++) {
        Map<String, String> env = new HashMap<>(db.env());
        env.putAll(Map.of("SPOOL_DIR", TestService.newSpoolDir(), "CLUSTER_ENABLED", "true", "CLUSTER_NAME", name,
            "CLUSTER_HOST", "127.0.0.1", "CLUSTER_PORT", Integer.toString(ports.get(i)), "CLUSTER_MEMBERS", members,
            "CLUSTER_HEARTBEAT_TIMEOUT_SECONDS", Integer.toString(HEARTBEAT_SECONDS),
            "CIRCUIT_BREAKER_RESET_TIMEOUT_MS", Long.toString(RESET_MS)));
        cluster.nodes.add(ServiceProcess.start("node-loss-" + i + "-it", env));
      }
      for (ServiceProcess node : cluster.nodes) {
        node.awaitReady(90);
      }
      cluster.awaitOwners(2, cluster.nodes);
      ServiceProcess victim = cluster.nodes.get(0);
      ServiceProcess survivor = cluster.nodes.get(1);
      List<String> ring = List.of(ClusterProcesses.nodeId(victim), ClusterProcesses.nodeId(survivor));
      // 20 learners, half of them owned by the node that will be killed (their calls are forwarded to it).
      List<String> learners = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        learners.add(ClusterProcesses.learnerOwnedBy(ring.get(0), ring, "loss-victim-" + i));
        learners.add(ClusterProcesses.learnerOwnedBy(ring.get(1), ring, "loss-survivor-" + i));
      }

      Calls.Load load = Calls.Load.start(CALLERS, null, INTERVAL_MS, n -> new Calls.Load.Request(survivor, "trigger_event",
          new JsonObject().put("event_type", "practice_completed").put("user_id", learners.get((int) (n % learners.size())))
              .put("request_id", "node-loss-" + n)));
      List<Call> calls;
      long warmedAt;
      long killedAt;
      long ringMs;
      long openingsBeforeKill;
      try {
        warmUp(survivor, load);
        warmedAt = System.nanoTime();
        openingsBeforeKill = Calls.breakerOpenings(survivor);
        victim.process.destroyForcibly(); // SIGKILL
        killedAt = System.nanoTime();
        cluster.awaitOwners(1, List.of(survivor));
        ringMs = (System.nanoTime() - killedAt) / 1_000_000;
        long end = killedAt + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS + AFTER_SETTLE_MS);
        while (System.nanoTime() < end) {
          Thread.sleep(50);
        }
      } finally {
        calls = load.stop();
      }
      long openings = Calls.breakerOpenings(survivor);
      String state = Calls.breakerState(survivor);
      final long kill = killedAt;
      final long warm = warmedAt;
      long settleEnd = kill + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
      List<Call> before = calls.stream().filter(c -> c.startedNanos() < kill).toList();
      calls = calls.stream().filter(c -> c.startedNanos() >= warm).toList();
      List<Call> failed = calls.stream().filter(c -> !c.decided()).toList();
      List<Call> afterSettle = calls.stream().filter(c -> c.startedNanos() >= settleEnd).toList();
      List<Call> failedAfterSettle = afterSettle.stream().filter(c -> !c.decided()).toList();
      long lastFailureMs = failed.stream().mapToLong(c -> (c.startedNanos() - kill) / 1_000_000).max().orElse(-1);
      System.out.printf("NodeLossBreakerIT: ring settled %d ms after the kill; failed calls from the warm-up on: %d of %d (during the warm-up: %d),"
              + " the last started %d ms after the kill; after the %d ms settle window %d of %d failed"
              + " (e.g. %s); survivor's breaker %s, opened %d times (%d of them during the warm-up)%n  failures after the kill: %s%n",
          ringMs, failed.size(), calls.size(), before.stream().filter(c -> !c.decided()).count(), lastFailureMs, SETTLE_MS,
          failedAfterSettle.size(), afterSettle.size(),
          failedAfterSettle.stream().map(Call::summary).findFirst().orElse("none"), state, openings, openingsBeforeKill,
          failed.stream().filter(c -> c.startedNanos() >= kill).map(c -> ((c.startedNanos() - kill) / 1_000_000) + " ms: " + c.summary()).limit(12).toList());

      assertTrue(before.size() > 20, "the warm-up ran: " + before.size());
      assertEquals(0, openings - openingsBeforeKill, "the survivor's breaker does not open when the other node is lost");
      assertTrue(afterSettle.size() > 20, "the load kept running after the settle window: " + afterSettle.size());
      assertEquals(List.of(), failedAfterSettle.stream().map(Call::summary).limit(3).toList(),
          "no call started after the " + SETTLE_MS + " ms settle window fails (" + failedAfterSettle.size() + " of "
              + afterSettle.size() + " did)");
      assertTrue(lastFailureMs < SETTLE_MS, "failures only while the ring settles; the last started " + lastFailureMs
          + " ms after the kill");
    } finally {
      cluster.close();
      db.close();
    }
  }

  /**
   * Warmed up: the survivor's breaker is closed and its last 16 answers were real decisions, at least 3 s into the
   * load. (Today a cold start can open the breaker first, which is item 1 of the issue, not this one: waiting for it
   * to close again, up to 40 s, keeps this test about the node loss.)
   */
  static void warmUp(ServiceProcess survivor, Calls.Load load) throws Exception {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(40);
    while (true) {
      List<Call> recent = load.snapshot().stream().sorted(java.util.Comparator.comparingLong(Call::startedNanos).reversed())
          .limit(16).toList();
      if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(3) && recent.size() == 16
          && recent.stream().allMatch(Call::decided) && "closed".equals(Calls.breakerState(survivor))) {
        System.out.printf("NodeLossBreakerIT: warmed up after %d ms%n", (System.nanoTime() - start) / 1_000_000);
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the survivor never warmed up (breaker " + Calls.breakerState(survivor) + "; last answers "
            + recent.stream().map(Call::summary).limit(2).toList() + ")");
      }
      Thread.sleep(50);
    }
  }
}
