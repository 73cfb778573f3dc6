package viralengine.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.client.LoopDecision;
import viralengine.client.OrchestratorBusClient;
import viralengine.client.SelectLoop;
import viralengine.support.TestService;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Two clustered nodes in this JVM (real Hazelcast on loopback, real event bus, one PostgreSQL): a verticle
 * deployed on node A calls the orchestrator's public address with the typed client, and the decision is made by
 * the learner's owner, node B; both nodes agree on every owner; a request_id repeated on the other node, even
 * while the first call is in flight, gets the original answer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterAffinityTest {
  static final int CALLS = 20;
  static TestService a;
  static TestService b;

  @BeforeAll
  static void startTwoNodes() {
    List<JsonObject> nodes = ClusterFixture.nodes(2);
    a = TestService.startClustered(nodes.get(0));
    b = TestService.startClustered(nodes.get(1));
    ClusterFixture.awaitOwners(2, a, b);
  }

  @AfterAll
  static void stop() {
    b.close();
    a.close();
  }

  @Test
  void bothNodesReportTheClusterAndAreReady() {
    for (TestService node : List.of(a, b)) {
      JsonObject cluster = node.get("/mcp/orchestrator/health").bodyAsJsonObject().getJsonObject("cluster");
      assertEquals(node.service.cluster().nodeId(), cluster.getString("node_id"));
      assertEquals(2, cluster.getInteger("member_count"));
      assertEquals("stable", cluster.getJsonObject("owners").getString("state"));
      assertEquals(2, cluster.getJsonArray("members").size());
      assertEquals(200, node.get("/health/ready").statusCode());
    }
  }

  @Test
  void bothNodesAgreeOnEveryOwnerAndSplitTheLearners() {
    int ownedByA = 0;
    for (int i = 0; i < 2_000; i++) {
      String user = "learner-" + i;
      String owner = a.service.cluster().ownerOf(user);
      assertEquals(owner, b.service.cluster().ownerOf(user), user);
      assertEquals(owner, a.service.cluster().ownerOf(user), "stable: " + user);
      if (owner.equals(a.service.cluster().nodeId())) {
        ownedByA++;
      }
    }
    assertTrue(ownedByA > 700 && ownedByA < 1_300, "each node owns about half: " + ownedByA + " of 2000");
  }

  @Test
  void aVerticleOnNodeAIsServedByTheOwnerOnNodeB() {
    String user = ClusterFixture.userOwnedBy(b, "served-by-b");
    JsonObject beforeA = ClusterFixture.affinity(a);
    JsonObject beforeB = ClusterFixture.affinity(b);
    JsonArray answers = await(a.vertx.deployVerticle(new Caller(user, CALLS))
        .compose(id -> Caller.answers(a)));
    assertEquals(CALLS, answers.size());
    JsonObject afterA = ClusterFixture.affinity(a);
    JsonObject afterB = ClusterFixture.affinity(b);
    assertEquals(CALLS, afterA.getLong("forwarded") - beforeA.getLong("forwarded"), "A forwarded every call");
    assertEquals(CALLS, afterB.getLong("served_for_peers") - beforeB.getLong("served_for_peers"), "B decided every call");
    assertEquals(0, afterA.getLong("decided_here") - beforeA.getLong("decided_here"), "A decided none");
    for (Object id : answers) {
      assertEquals(1, a.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1::uuid AND success AND input_params->>'user_id' = $2",
          id, user), "recorded once: " + id);
    }
  }

  @Test
  void aLearnerOwnedByTheCallingNodeIsDecidedThereWithoutAHop() {
    String user = ClusterFixture.userOwnedBy(a, "kept-on-a");
    JsonObject beforeA = ClusterFixture.affinity(a);
    JsonObject beforeB = ClusterFixture.affinity(b);
    await(OrchestratorBusClient.create(a.vertx).selectLoop(SelectLoop.forUser(user)));
    assertEquals(1, ClusterFixture.affinity(a).getLong("decided_here") - beforeA.getLong("decided_here"));
    assertEquals(beforeB.getLong("served_for_peers"), ClusterFixture.affinity(b).getLong("served_for_peers"));
  }

  @Test
  void aRequestIdRepeatedOnTheOtherNodeGetsTheOriginalAnswerEvenWhileTheFirstIsInFlight() {
    for (int round = 0; round < 20; round++) {
      String user = "repeat-" + UUID.randomUUID();
      String requestId = "cluster-repeat-" + UUID.randomUUID();
      JsonObject params = new JsonObject().put("user_id", user).put("event_type", "practice_completed")
          .put("request_id", requestId);
      // Both at once, one through each node: whichever the owner takes second is answered as the first was.
      Future<JsonObject> viaA = client(a).request("orchestrator.trigger_event", params);
      Future<JsonObject> viaB = client(b).request("orchestrator.trigger_event", params);
      JsonObject first = await(viaA);
      JsonObject second = await(viaB);
      assertEquals(first.getString("decision_id"), second.getString("decision_id"), "round " + round);
      assertEquals(first.getString("event_id"), second.getString("event_id"));
      JsonObject later = await(client(b).request("orchestrator.trigger_event", params));
      assertEquals(first.getString("decision_id"), later.getString("decision_id"));
      assertEquals(1, a.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1", requestId));
      assertEquals(1, a.count("SELECT count(*) FROM viral_events WHERE request_id = $1", requestId));
    }
  }

  /**
   * The owner keeps its learners' state; a profile written through the other node reaches it as a published
   * forget. A dry run has no guard, so only the forget can make the owner see the opt-out before the ttl (60 s).
   */
  @Test
  void aProfileWrittenThroughTheOtherNodeIsSeenByTheOwnersNextDecision() {
    String user = ClusterFixture.userOwnedBy(b, "profile-via-a");
    JsonObject dryRun = new JsonObject().put("user_id", user).put("event_type", "practice_completed").put("dry_run", true);
    try {
      a.query("UPDATE viral_loops SET active = true, triggers = '{}', targeting = '{}', cooldown_seconds = 0,"
          + " audience = '{\"requires_parental_consent\": false}' WHERE name = 'buddy_challenge'");
      await(a.service.catalog().reload());
      await(b.service.catalog().reload());
      assertEquals("selected", await(client(a).request("orchestrator.select_loop", dryRun)).getString("outcome"),
          "decided, and kept, by the owner B");
      await(client(a).request("orchestrator.upsert_learner", new JsonObject().put("user_id", user)
          .put("growth_opt_out", true)));
      String outcome = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!"opted_out".equals(outcome) && System.nanoTime() < deadline) {
        outcome = await(client(a).request("orchestrator.select_loop", dryRun)).getString("outcome");
      }
      assertEquals("opted_out", outcome, "B forgot the learner when A wrote the profile");
    } finally {
      a.query("UPDATE viral_loops SET active = false");
      await(a.service.catalog().reload());
      await(b.service.catalog().reload());
    }
  }

  @Test
  void nonDecisionCallsAreServedWhereTheyArriveAndHealthIsTheLocalNodes() {
    JsonObject health = await(client(b).request("orchestrator.health", new JsonObject()));
    assertEquals(b.service.cluster().nodeId(), health.getJsonObject("cluster").getString("node_id"));
    assertNotEquals(a.service.cluster().nodeId(), health.getJsonObject("cluster").getString("node_id"));
  }

  static OrchestratorBusClient client(TestService node) {
    return OrchestratorBusClient.create(node.vertx, Duration.ofSeconds(5));
  }

  /** A co-deployed verticle: on start it asks for {@code calls} decisions for one learner, one after another. */
  static final class Caller extends VerticleBase {
    static final String RESULT = "test.caller.decisions";
    private final String user;
    private final int calls;

    Caller(String user, int calls) {
      this.user = user;
      this.calls = calls;
    }

    @Override
    public Future<?> start() {
      OrchestratorBusClient client = OrchestratorBusClient.create(vertx, Duration.ofSeconds(5));
      List<String> ids = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (int i = 0; i < calls; i++) {
        chain = chain.compose(v -> client.selectLoop(SelectLoop.forUser(user)).map(LoopDecision::decisionId)
            .map(id -> {
              ids.add(id);
              return null;
            }));
      }
      return chain.onSuccess(v -> vertx.sharedData().getLocalMap(RESULT).put("ids", new JsonArray(List.copyOf(ids))));
    }

    static Future<JsonArray> answers(TestService node) {
      return Future.succeededFuture((JsonArray) node.vertx.sharedData().getLocalMap(RESULT).get("ids"));
    }
  }
}
