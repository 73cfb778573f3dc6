package viralengine.incentives;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.peers.PeerFixtures;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Two-sided grants: a joined outcome through a loop with an incentive rewards the referrer and the joiner once each. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class JoinGrantsHttpTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = PeerFixtures.start(new JsonObject());
  }

  @AfterAll
  static void stop() {
    PeerFixtures.stop(svc);
  }

  @BeforeEach
  void reset() {
    PeerFixtures.reset(svc);
    PeerFixtures.upsert(svc, PeerFixtures.sharingLoop("peer_buddy"));
    PeerFixtures.adult(svc, "ann", new JsonObject());
  }

  static JsonObject reward(JsonArray rewards, String role) {
    return rewards.stream().map(JsonObject.class::cast).filter(r -> role.equals(r.getString("role"))).findFirst().orElseThrow();
  }

  @Test
  void aJoinGrantsTheReferrerAndTheJoinerOnceWhateverTheRetries() {
    String decision = PeerFixtures.selected(svc, "ann");
    JsonObject first = PeerFixtures.outcome(svc, decision, "joined", "bob", "join-1");
    JsonArray rewards = first.getJsonArray("rewards");
    assertEquals("ann", reward(rewards, "referrer").getString("user_id"));
    assertEquals("class_pass", reward(rewards, "referrer").getString("reward_type"));
    assertEquals("bob", reward(rewards, "joiner").getString("user_id"));
    assertEquals("xp", reward(rewards, "joiner").getString("reward_type"));

    // The same request again, the same join under another request_id, and without one.
    JsonObject retry = PeerFixtures.outcome(svc, decision, "joined", "bob", "join-1");
    assertEquals(rewards, retry.getJsonArray("rewards"), "the retry answers the same grants");
    PeerFixtures.outcome(svc, decision, "joined", "bob", "join-1-again");
    PeerFixtures.outcome(svc, decision, "joined", "bob", null);

    assertEquals(1, svc.count("SELECT count(*) FROM reward_grants WHERE user_id = 'ann'"));
    assertEquals(1, svc.count("SELECT count(*) FROM reward_grants WHERE user_id = 'bob'"));
    assertEquals(new JsonObject().put("type", "class_pass").put("amount", 1L), without(PeerFixtures.balances(svc, "ann")));
    assertEquals(new JsonObject().put("type", "xp").put("amount", 50L), without(PeerFixtures.balances(svc, "bob")));
  }

  static JsonObject without(JsonArray balances) {
    assertEquals(1, balances.size(), balances.encode());
    JsonObject one = balances.getJsonObject(0).copy();
    one.remove("next_expires_at");
    return one;
  }

  @Test
  void eachFriendWhoJoinsRewardsTheReferrerUntilTheDailyCap() {
    String decision = PeerFixtures.selected(svc, "ann");
    for (String friend : new String[] {"bob", "cy", "di"}) {
      JsonArray rewards = PeerFixtures.outcome(svc, decision, "joined", friend, null).getJsonArray("rewards");
      assertEquals(Boolean.TRUE, reward(rewards, "joiner").getBoolean("granted"), friend);
    }
    assertEquals(2, svc.count("SELECT count(*) FROM reward_grants WHERE user_id = 'ann'"), "class_pass: 2 a day");
    assertEquals(3, svc.count("SELECT count(*) FROM reward_grants WHERE reward_type = 'xp'"));
    JsonArray capped = PeerFixtures.outcome(svc, decision, "joined", "ed", null).getJsonArray("rewards");
    assertFalse(reward(capped, "referrer").getBoolean("granted"));
    assertEquals("cap_reached", reward(capped, "referrer").getString("reason"));
  }

  @Test
  void aJoinThroughALoopWithoutAnIncentiveGrantsNothing() {
    JsonObject plain = PeerFixtures.sharingLoop("peer_buddy");
    plain.remove("incentive");
    PeerFixtures.upsert(svc, plain);
    JsonObject answer = PeerFixtures.outcome(svc, PeerFixtures.selected(svc, "ann"), "joined", "bob", null);
    assertNull(answer.getValue("rewards"));
    assertEquals(0, svc.count("SELECT count(*) FROM reward_grants"));
  }

  @Test
  void anotherOutcomeOrAJoinWithoutAReferredLearnerGrantsNothing() {
    String decision = PeerFixtures.selected(svc, "ann");
    PeerFixtures.outcome(svc, decision, "invite_accepted", "bob", null);
    PeerFixtures.outcome(svc, decision, "joined", null, null);
    assertEquals(0, svc.count("SELECT count(*) FROM reward_grants"));
  }
}
