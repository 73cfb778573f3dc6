package viralengine.lifecycle;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import viralengine.peers.PeerFixtures;
import viralengine.support.PeerRpc;
import viralengine.support.TestService;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * forget_learner reaches the built-in agents' rows too, over real HTTP and PostgreSQL: a two-sided grant on a join
 * (the referrer's and the joiner's, whose request_id and source name the joiner), a block and an abuse report. After
 * forgetting both learners no table mentions either, and the ledger keeps its grants under the tombstones.
 */
class ForgetAgentsDataTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = PeerFixtures.start(new JsonObject());
    PeerFixtures.reset(svc);
    PeerFixtures.upsert(svc, PeerFixtures.sharingLoop("peer_forget"));
  }

  @AfterAll
  static void stop() {
    PeerFixtures.stop(svc);
  }

  static JsonObject forget(String user, String requestId) {
    return svc.admin("forget_learner", new JsonObject().put("user_id", user).put("request_id", requestId)
        .put("reason", "parent request")).getJsonObject("result");
  }

  @Test
  void theLedgerAndTheSafetyRecordKeepNoTraceOfAForgottenReferrerOrJoiner() {
    String referrer = "forget-referrer-0042";
    String joiner = "forget-joiner-0042";
    PeerFixtures.adult(svc, referrer, new JsonObject());
    String decision = PeerFixtures.selected(svc, referrer);
    PeerFixtures.outcome(svc, decision, "joined", joiner, "join-0042");
    assertEquals(2, svc.count("SELECT count(*) FROM reward_grants WHERE decision_id = $1", java.util.UUID.fromString(decision)),
        "a grant for each side");
    PeerRpc.ok(svc, "trust_safety", "report_abuse", new JsonObject().put("decision_id", decision).put("reason", "spam"));
    PeerRpc.ok(svc, "trust_safety", "block_user", new JsonObject().put("user_id", joiner).put("reason", "spam ring"));
    assertFalse(ForgetLearnerTest.mentions(svc, joiner).isEmpty());

    assertTrue(forget(joiner, "forget-joiner-req").getJsonObject("rows").getLong("reward_grants.source.referred_user_id") > 0);
    forget(referrer, "forget-referrer-req");

    assertEquals(Map.of(), ForgetLearnerTest.mentions(svc, joiner));
    assertEquals(Map.of(), ForgetLearnerTest.mentions(svc, referrer));
    assertEquals(2, svc.count("SELECT count(*) FROM reward_grants WHERE decision_id = $1", java.util.UUID.fromString(decision)),
        "the ledger keeps both grants (revoked by the report), under tombstones");
    assertEquals(1, svc.count("SELECT count(*) FROM abuse_reports WHERE user_id LIKE 'erased:%'"));
  }
}
