package viralengine.store;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Answers given in the orchestrator's place: a claim on a request_id goes in only if the id (and the decision id) is
 * free, and a trigger_event's fallback records its event once, beside a row that went in fresh.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FallbackClaimTest {
  static TestService svc;
  static DecisionStore store;

  @BeforeAll
  static void start() {
    svc = TestService.start();
    store = new DecisionStore(svc.sql);
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static FallbackRecord triggerFallback(UUID id, String requestId) {
    JsonObject params = new JsonObject().put("event_type", "practice_completed").put("user_id", "claimer")
        .put("request_id", requestId);
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    EventRecord event = new EventRecord(UUID.randomUUID(), "practice_completed", "claimer", now, now,
        new JsonObject().put("skill", "fractions"));
    return new FallbackRecord(id, requestId, "trigger_event", params, new JsonObject().put("degraded", true)
        .put("event_id", event.eventId().toString()), "default", new JsonObject().put("fallback", "circuit_open"), 0.4,
        null, event);
  }

  static boolean claim(FallbackRecord fallback) {
    return await(store.claimFallbacks(List.of(fallback))).get(0) == Inserted.YES;
  }

  static long events(String requestId) {
    return svc.count("SELECT count(*) FROM viral_events WHERE request_id = $1", requestId);
  }

  @Test
  void aClaimOnAFreeRequestIdGoesInWithItsEventUnprocessed() {
    String requestId = "claim-" + UUID.randomUUID();
    FallbackRecord fallback = triggerFallback(UUID.randomUUID(), requestId);
    assertTrue(claim(fallback));
    var row = svc.query("SELECT success, outcome, event_id, request_id FROM agent_decisions WHERE decision_id = $1",
        fallback.decisionId()).iterator().next();
    assertFalse(row.getBoolean("success"));
    assertEquals("degraded", row.getString("outcome"));
    assertEquals(fallback.event().eventId(), row.getUUID("event_id"));
    var event = svc.query("SELECT processed, request_id, context FROM viral_events WHERE event_id = $1",
        fallback.event().eventId()).iterator().next();
    assertFalse(event.getBoolean("processed"), "no handler ran for it");
    assertEquals(requestId, event.getString("request_id"));
    assertEquals(new JsonObject().put("skill", "fractions"), event.getValue("context"));
  }

  @Test
  void aClaimOnARequestIdAnotherDecisionHoldsWritesNothing() {
    String requestId = "claim-" + UUID.randomUUID();
    UUID first = UUID.randomUUID();
    assertTrue(claim(triggerFallback(first, requestId)));
    FallbackRecord second = triggerFallback(UUID.randomUUID(), requestId);
    assertFalse(claim(second), "the id is taken: the caller must get its first answer");
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = $1"
        + " OR features_used->>'request_id' = $1", requestId));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", second.decisionId()));
    assertEquals(1, events(requestId));
  }

  @Test
  void aClaimUnderADecisionIdTheOrchestratorAlreadyWroteWritesNothing() {
    String requestId = "claim-" + UUID.randomUUID();
    UUID id = UUID.randomUUID();
    DecisionRecord orchestrators = new DecisionRecord(id, requestId, "select_loop", "claimer",
        new JsonObject().put("user_id", "claimer").put("request_id", requestId), new JsonObject().put("loop", (String) null),
        "decided", new JsonObject(), null, 3.0, null);
    assertEquals(Inserted.YES, await(store.insertDecisions(List.of(orchestrators), false)).get(0));
    assertFalse(claim(triggerFallback(id, requestId)), "the orchestrator's own late write stands, and is the answer");
    assertTrue(svc.query("SELECT success FROM agent_decisions WHERE decision_id = $1", id).iterator().next()
        .getBoolean("success"));
    assertEquals(0, events(requestId));
  }

  @Test
  void twoClaimsForOneRequestIdInOneBatchLetOnlyTheFirstIn() {
    String requestId = "claim-" + UUID.randomUUID();
    FallbackRecord one = triggerFallback(UUID.randomUUID(), requestId);
    FallbackRecord two = triggerFallback(UUID.randomUUID(), requestId);
    List<Inserted> inserted = await(store.claimFallbacks(List.of(one, two)));
    assertEquals(1, inserted.stream().filter(i -> i == Inserted.YES).count(), inserted.toString());
    assertEquals(1, events(requestId));
  }

  @Test
  void aFallbackWithoutARequestIdRecordsItsEventOnceUnderTheIdTheCallerWasTold() {
    FallbackRecord fresh = triggerFallback(UUID.randomUUID(), null);
    await(store.upsertFallbacks(List.of(fresh)));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE event_id = $1", fresh.event().eventId()));

    UUID late = UUID.randomUUID();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    EventRecord orchestratorsEvent = new EventRecord(UUID.randomUUID(), "practice_completed", "claimer", now, now,
        new JsonObject());
    DecisionRecord decided = new DecisionRecord(late, null, "trigger_event", "claimer", new JsonObject()
        .put("user_id", "claimer"), new JsonObject().put("loop", (String) null), "decided", new JsonObject(), null, 2.0,
        orchestratorsEvent);
    assertEquals(Inserted.YES, await(store.insertDecisions(List.of(decided), false)).get(0));
    FallbackRecord over = triggerFallback(late, null);
    await(store.upsertFallbacks(List.of(over)));
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events WHERE event_id = $1", orchestratorsEvent.eventId()),
        "the orchestrator's row was there first, with its own event, which nobody was told about");
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE event_id = $1", over.event().eventId()),
        "the one event now carries the id the caller was told");
    assertEquals(over.event().eventId(), svc.query("SELECT event_id FROM agent_decisions WHERE decision_id = $1",
        late).iterator().next().getUUID("event_id"));
  }
}
