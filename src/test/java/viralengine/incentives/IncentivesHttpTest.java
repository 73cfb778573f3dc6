package viralengine.incentives;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.MutableClock;
import viralengine.support.PeerRpc;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The incentives agent over real HTTP and PostgreSQL: the ledger, its caps per calendar day, expiry and revocation. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class IncentivesHttpTest {
  /** 2026-12-07 10:00 UTC: 23:00 of the same day in Auckland (UTC+13), 02:00 in Los Angeles. */
  static final Instant START = Instant.parse("2026-12-07T10:00:00Z");
  static final MutableClock CLOCK = new MutableClock(START);
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.builtInAgents(), CLOCK);
  }

  @AfterAll
  static void stop() {
    svc.query("UPDATE viral_loops SET incentive = NULL");
    svc.close();
  }

  @BeforeEach
  void reset() {
    CLOCK.set(START);
    svc.query("TRUNCATE reward_revocations, reward_grants, reward_daily, learners");
  }

  static JsonObject grant(String user, String type, String requestId) {
    return PeerRpc.ok(svc, "incentives", "grant_reward", new JsonObject().put("user_id", user).put("reward_type", type)
        .put("request_id", requestId));
  }

  @Test
  void listRewardTypesAnswersTheSeededTable() {
    JsonArray types = PeerRpc.ok(svc, "incentives", "list_reward_types", new JsonObject()).getJsonArray("reward_types");
    assertEquals(4, types.size());
    assertEquals(new JsonObject().put("type", "ai_tutor_minutes").put("amount", 30).put("daily_cap", 60)
        .put("expires_in_days", 30), types.getJsonObject(0));
    assertEquals(new JsonObject().put("type", "xp").put("amount", 50).put("daily_cap", 500).putNull("expires_in_days"),
        types.getJsonObject(3));
  }

  @Test
  void aGrantIsMadeOncePerRequestIdAndItsRetryAnswersTheSameGrant() {
    JsonObject first = grant("ada", "xp", "g-1");
    assertTrue(first.getBoolean("granted"));
    assertEquals(50L, first.getLong("balance"));
    JsonObject retry = grant("ada", "xp", "g-1");
    assertEquals(first.getString("grant_id"), retry.getString("grant_id"));
    assertEquals(50L, retry.getLong("balance"));
    assertEquals(1, svc.count("SELECT count(*) FROM reward_grants"));
  }

  @Test
  void aRequestIdReusedWithOtherParamsIsAConflict() {
    grant("ada", "xp", "g-1");
    JsonObject error = PeerRpc.error(svc, "incentives", "grant_reward", new JsonObject().put("user_id", "ada")
        .put("reward_type", "class_pass").put("request_id", "g-1"));
    assertEquals(-32004, error.getInteger("code"));
  }

  @Test
  void theDailyCapRefusesTheGrantThatWouldPassIt() {
    assertTrue(grant("ada", "ai_tutor_minutes", "m-1").getBoolean("granted"));
    assertTrue(grant("ada", "ai_tutor_minutes", "m-2").getBoolean("granted"));
    JsonObject third = grant("ada", "ai_tutor_minutes", "m-3");
    assertEquals(new JsonObject().put("granted", false).put("reason", "cap_reached"), third);
    assertEquals(60L, balance("ada").getJsonObject(0).getLong("amount"));
  }

  @Test
  void theCapResetsAtMidnightInTheLearnersOwnTimeZone() {
    PeerRpc.ok(svc, "orchestrator", "upsert_learner", new JsonObject().put("user_id", "kiri").put("timezone", "Pacific/Auckland"));
    PeerRpc.ok(svc, "orchestrator", "upsert_learner", new JsonObject().put("user_id", "lee").put("timezone", "America/Los_Angeles"));
    for (String user : new String[] {"kiri", "lee"}) {
      assertTrue(grant(user, "class_pass", user + "-1").getBoolean("granted"));
      assertTrue(grant(user, "class_pass", user + "-2").getBoolean("granted"));
      assertFalse(grant(user, "class_pass", user + "-3").getBoolean("granted"));
    }
    CLOCK.advance(Duration.ofHours(1)); // 00:00 in Auckland, 03:00 in Los Angeles
    assertTrue(grant("kiri", "class_pass", "kiri-4").getBoolean("granted"), "a new day in Auckland");
    assertFalse(grant("lee", "class_pass", "lee-4").getBoolean("granted"), "still the same day in Los Angeles");
  }

  @Test
  void aBalanceCountsUnexpiredUnrevokedGrantsWithTheNextExpiry() {
    String first = grant("ada", "streak_shield", "s-1").getString("grant_id");
    CLOCK.advance(Duration.ofDays(2));
    grant("ada", "streak_shield", "s-2");
    grant("ada", "xp", "x-1");
    JsonArray balances = balance("ada");
    assertEquals(new JsonObject().put("type", "streak_shield").put("amount", 2L)
        .put("next_expires_at", START.plus(Duration.ofDays(7)).toString()), balances.getJsonObject(0));
    assertEquals(new JsonObject().put("type", "xp").put("amount", 50L).putNull("next_expires_at"), balances.getJsonObject(1));
    CLOCK.advance(Duration.ofDays(6)); // the first shield expired
    assertEquals(1L, balance("ada").getJsonObject(0).getLong("amount"));
    JsonObject revoked = PeerRpc.ok(svc, "incentives", "revoke_reward", new JsonObject().put("grant_id", first).put("reason", "fraud"));
    assertFalse(revoked.getBoolean("already_revoked"));
    JsonObject again = PeerRpc.ok(svc, "incentives", "revoke_reward", new JsonObject().put("grant_id", first).put("reason", "fraud"));
    assertTrue(again.getBoolean("already_revoked"));
    assertEquals(revoked.getString("revoked_at"), again.getString("revoked_at"));
    String second = svc.query("SELECT grant_id::text FROM reward_grants WHERE request_id = 's-2'").iterator().next().getString(0);
    PeerRpc.ok(svc, "incentives", "revoke_reward", new JsonObject().put("grant_id", second).put("reason", "fraud"));
    assertEquals(1, balance("ada").size(), "no shield left: only xp");
  }

  @Test
  void revokingAnUnknownGrantIsNotFound() {
    JsonObject error = PeerRpc.error(svc, "incentives", "revoke_reward", new JsonObject()
        .put("grant_id", "0192f4c1-7d8e-7a3b-9c1d-2e3f4a5b6c7d").put("reason", "fraud"));
    assertEquals(-32006, error.getInteger("code"));
  }

  @Test
  void offerRewardNamesTheLoopsIncentiveWhileTheCapLeavesRoom() {
    svc.query("UPDATE viral_loops SET incentive = '{\"referrer\": \"class_pass\"}' WHERE name = 'buddy_challenge'");
    svc.await(svc.service.catalog().reload());
    JsonObject params = new JsonObject().put("user_id", "ada").put("loop", "buddy_challenge").put("role", "referrer");
    assertEquals(new JsonObject().put("type", "class_pass").put("amount", 1).put("expires_in_days", 90),
        PeerRpc.ok(svc, "incentives", "offer_reward", params).getJsonObject("reward"));
    assertNull(PeerRpc.ok(svc, "incentives", "offer_reward", params.copy().put("role", "joiner")).getValue("reward"),
        "no joiner reward on this loop");
    grant("ada", "class_pass", "c-1");
    grant("ada", "class_pass", "c-2");
    assertNull(PeerRpc.ok(svc, "incentives", "offer_reward", params).getValue("reward"), "the cap is reached");
    assertEquals(2, svc.count("SELECT count(*) FROM reward_grants"), "offers grant nothing");
  }

  @Test
  void badParamsAreRefusedNamingTheField() {
    assertEquals("reward_type", PeerRpc.error(svc, "incentives", "grant_reward", new JsonObject().put("user_id", "ada")
        .put("reward_type", "gold").put("request_id", "r")).getJsonObject("data").getString("field"));
    assertEquals("amount", PeerRpc.error(svc, "incentives", "grant_reward", new JsonObject().put("user_id", "ada")
        .put("reward_type", "xp").put("amount", 0).put("request_id", "r")).getJsonObject("data").getString("field"));
    assertEquals("request_id", PeerRpc.error(svc, "incentives", "grant_reward", new JsonObject().put("user_id", "ada")
        .put("reward_type", "xp")).getJsonObject("data").getString("field"));
    assertEquals("bonus", PeerRpc.error(svc, "incentives", "get_balance", new JsonObject().put("user_id", "ada")
        .put("bonus", 1)).getJsonObject("data").getString("field"));
    assertEquals("role", PeerRpc.error(svc, "incentives", "offer_reward", new JsonObject().put("user_id", "ada")
        .put("loop", "buddy_challenge").put("role", "friend")).getJsonObject("data").getString("field"));
  }

  @Test
  void theAgentAnswersItsOwnOpenRpcDocument() {
    JsonObject doc = PeerRpc.ok(svc, "incentives", "rpc.discover", new JsonObject());
    JsonArray methods = doc.getJsonArray("methods");
    assertEquals(6, methods.size());
    assertEquals("offer_reward", methods.getJsonObject(0).getString("name"));
    assertNotEquals(-1, doc.getJsonObject("info").getString("title").indexOf("incentives"));
  }

  static JsonArray balance(String user) {
    return PeerRpc.ok(svc, "incentives", "get_balance", new JsonObject().put("user_id", user)).getJsonArray("balances");
  }
}
