package viralengine.lifecycle;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.PgProxy;
import viralengine.support.TestService;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Issue 28: a learner is forgotten while some of their decisions wait in a node's spool (that node's PostgreSQL is cut
 * by a {@link PgProxy}; the erasure runs on a second node that reaches PostgreSQL). When the cut heals, the spool
 * replays those rows and they are erased as they land: no row names the learner or holds their context.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForgetWhileSpooledTest {
  static final String CHILD = "spooled-child-3c9e";
  static final String SCHOOL = "Birch-Hollow-Academy-5520";
  static Vertx proxyVertx;
  static PgProxy proxy;
  static TestService cut;
  static TestService direct;

  @BeforeAll
  static void start() {
    proxyVertx = Vertx.vertx();
    proxy = PgProxy.start(proxyVertx);
    direct = TestService.start(TestService.relaxedTiming());
    direct.resetData();
    cut = TestService.start(TestService.relaxedTiming().put("database", new JsonObject().put("url", proxy.url()))
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 100_000)));
  }

  @AfterAll
  static void stop() {
    proxy.restore();
    direct.resetData();
    cut.close();
    direct.close();
    proxy.close();
    await(proxyVertx.close());
  }

  static JsonObject event(TestService node) {
    JsonObject response = node.rpc("trigger_event", new JsonObject().put("user_id", CHILD)
        .put("event_type", "practice_completed").put("context", new JsonObject().put("school", SCHOOL)));
    assertNotNull(response.getJsonObject("result"), response.encode());
    return response.getJsonObject("result");
  }

  static JsonObject spool(TestService node) {
    return node.get("/mcp/orchestrator/health").bodyAsJsonObject().getJsonObject("spool");
  }

  static void awaitSpool(TestService node, boolean empty) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while ((spool(node).getLong("depth") == 0 && !spool(node).getBoolean("active")) != empty) {
      assertTrue(System.nanoTime() < deadline, "spool " + spool(node));
      await(node.vertx.timer(50));
    }
  }

  static Map<String, Long> mentions(String value) {
    return ForgetLearnerTest.mentions(direct, value);
  }

  @Test
  void rowsStillInTheSpoolWhenTheLearnerIsForgottenAreErasedWhenReplayed() {
    for (int i = 0; i < 3; i++) {
      event(cut);
    }
    awaitSpool(cut, true);
    assertEquals(3, direct.count("SELECT count(*) FROM agent_decisions WHERE user_id = $1", CHILD));

    proxy.cut();
    for (int i = 0; i < 4; i++) {
      event(cut);
    }
    assertTrue(spool(cut).getLong("depth") > 0, "decisions wait in the spool: " + spool(cut));

    JsonObject erased = direct.admin("forget_learner", new JsonObject().put("user_id", CHILD)
        .put("request_id", "spooled-erasure")).getJsonObject("result");
    assertNotNull(erased);
    assertEquals(3L, erased.getJsonObject("rows").getLong("agent_decisions.user_id"), "what PostgreSQL had");
    assertEquals(Map.of(), mentions(CHILD));

    proxy.restore();
    awaitSpool(cut, true);
    assertEquals(Map.of(), mentions(CHILD), "the replayed rows name the tombstone too");
    assertEquals(Map.of(), mentions(SCHOOL), "and lost their context");
    assertEquals(7, direct.count("SELECT count(*) FROM agent_decisions WHERE user_id = $1",
        erased.getString("tombstone")), "every decision is kept, the spooled ones included");
    assertEquals(7, direct.count("SELECT count(*) FROM viral_events WHERE user_id = $1", erased.getString("tombstone")));
    assertTrue(cut.get("/metrics").bodyAsString().lines().anyMatch(l -> l.startsWith("viral_learner_erasures_total{kind=\"spool_replay\"}")
        && !l.endsWith(" 0.0")), "the replayed rows' erasure is counted on the node that replayed them");
  }
}
