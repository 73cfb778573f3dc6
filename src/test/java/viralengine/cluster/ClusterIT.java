package viralengine.cluster;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.ServiceProcess;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static viralengine.support.ServiceProcess.rows;

/**
 * Three nodes of the real JAR (three JVMs) in one cluster on loopback, one PostgreSQL: the caps invariant holds
 * across them through affinity, and a request_id repeated on another node gets the original answer.
 */
@Timeout(value = 110, unit = TimeUnit.SECONDS)
class ClusterIT {
  static final int CALLS = 50;
  static ClusterProcesses cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = ClusterProcesses.start("cluster", 3, Map.of("LOG_LEVEL", "WARN"));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void fiftyConcurrentSelectionsForOneLearnerSpreadOverThreeNodesSelectOnce() throws Exception {
    try {
      OneLoop.oncePerDay();
      for (ServiceProcess node : cluster.nodes) {
        OneLoop.awaitActive(node);
      }
      for (int round = 0; round < 3; round++) {
        String user = "three-nodes-" + UUID.randomUUID();
        List<CompletableFuture<JsonObject>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
          calls.add(ClusterProcesses.rpc(cluster.nodes.get(i % 3), "select_loop", new JsonObject().put("user_id", user)));
        }
        int selected = 0;
        for (CompletableFuture<JsonObject> call : calls) {
          JsonObject result = call.get(60, TimeUnit.SECONDS).getJsonObject("result");
          assertNotNull(result, "every call is answered with a decision");
          if ("selected".equals(result.getString("outcome"))) {
            selected++;
          }
        }
        assertEquals(1, selected, "round " + round);
        assertEquals(1, rows("SELECT count(*) FROM loop_exposures WHERE user_id = '" + user + "'"));
      }
    } finally {
      OneLoop.restore();
    }
  }

  @Test
  void aRequestIdRepeatedOnAnotherNodeGetsTheOriginalAnswerAlsoWhileInFlight() throws Exception {
    for (int round = 0; round < 10; round++) {
      JsonObject params = new JsonObject().put("event_type", "practice_completed").put("user_id", "repeat-" + round)
          .put("request_id", "cluster-it-" + UUID.randomUUID());
      List<CompletableFuture<JsonObject>> same = new ArrayList<>();
      for (ServiceProcess node : cluster.nodes) {
        same.add(ClusterProcesses.rpc(node, "trigger_event", params)); // all three at once
      }
      String decisionId = same.get(0).get(30, TimeUnit.SECONDS).getJsonObject("result").getString("decision_id");
      for (CompletableFuture<JsonObject> answer : same) {
        assertEquals(decisionId, answer.get(30, TimeUnit.SECONDS).getJsonObject("result").getString("decision_id"));
      }
      JsonObject later = ClusterProcesses.rpc(cluster.nodes.get(round % 3), "trigger_event", params).get(30, TimeUnit.SECONDS);
      assertEquals(decisionId, later.getJsonObject("result").getString("decision_id"));
      assertEquals(1, rows("SELECT count(*) FROM agent_decisions WHERE request_id = '" + params.getString("request_id") + "'"));
    }
  }
}
