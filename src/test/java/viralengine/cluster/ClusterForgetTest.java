package viralengine.cluster;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Issue 28 in a cluster of two nodes in this JVM: a learner owned by node A (whose orchestrator keeps their state) is
 * forgotten through node B's admin agent; A drops what it kept at once, so the learner's next decision starts from an
 * empty history instead of the cooldown A remembered (which it would keep for the cache's 60 s otherwise).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterForgetTest {
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
    a.resetData();
    a.query("TRUNCATE learner_erasures");
    a.query("UPDATE viral_loops SET cooldown_seconds = 86400, triggers = '{practice_completed}', audience ="
        + " '{\"personas\": [\"student\"], \"requires_parental_consent\": true}' WHERE name = 'buddy_challenge'");
    b.close();
    a.close();
  }

  static String trigger(String user) {
    JsonObject response = b.rpc("trigger_event", new JsonObject().put("user_id", user).put("event_type", "practice_completed"));
    assertNotNull(response.getJsonObject("result"), response.encode());
    return response.getJsonObject("result").getString("outcome");
  }

  @Test
  void forgettingOnOneNodeClearsWhatTheOwnerKept() {
    a.resetData();
    a.query("UPDATE viral_loops SET active = true, cooldown_seconds = 86400, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}' WHERE name = 'buddy_challenge'");
    await(a.service.catalog().reload());
    await(b.service.catalog().reload());
    String user = "cluster-child-0";
    for (int i = 1; !a.service.cluster().ownerOf(user).equals(a.service.cluster().nodeId()); i++) {
      user = "cluster-child-" + i;
    }

    assertEquals("selected", trigger(user), "decided by the owner, A, which keeps the learner's state");
    assertEquals("no_eligible_loop", trigger(user), "cooling down");
    JsonObject erased = b.admin("forget_learner", new JsonObject().put("user_id", user).put("request_id", "cluster-erasure"));
    assertNotNull(erased.getJsonObject("result"), erased.encode());

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String outcome = trigger(user);
    while (!"selected".equals(outcome) && System.nanoTime() < deadline) {
      await(b.vertx.timer(50));
      outcome = trigger(user);
    }
    assertEquals("selected", outcome, "the owner forgot the learner's history within seconds, not the cache's 60 s");
    assertTrue(a.count("SELECT count(*) FROM agent_decisions WHERE user_id = $1", user) >= 1, "the new decision");
  }
}
