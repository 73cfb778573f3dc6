package viralengine.store;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** The write races between the orchestrator and the breaker's fallback, played in both orders. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DecisionStoreTest {
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

  static DecisionRecord decision(UUID id, String requestId) {
    JsonObject params = new JsonObject().put("user_id", "race").put("request_id", requestId);
    return new DecisionRecord(id, requestId, "select_loop", "race", params, new JsonObject().put("loop", (String) null),
        "late", new JsonObject(), null, 1.5, null);
  }

  static void fallback(UUID id, String requestId) {
    await(store.upsertFallbacks(List.of(new FallbackRecord(id, requestId, "select_loop",
        new JsonObject().put("user_id", "race").put("request_id", requestId),
        new JsonObject().put("degraded", true), "default", new JsonObject().put("fallback", "timeout"), 150.0, null))));
  }

  static boolean insert(DecisionRecord decision, boolean replay) {
    return await(store.insertDecisions(List.of(decision), replay)).get(0) == Inserted.YES;
  }

  static Row row(UUID id) {
    return svc.query("SELECT * FROM agent_decisions WHERE decision_id = $1", id).iterator().next();
  }

  @Test
  void aFallbackAfterALateOrchestratorWriteRewritesTheRowToWhatTheCallerSaw() {
    UUID id = UUID.randomUUID();
    assertTrue(insert(decision(id, "race-1"), false));
    fallback(id, "race-1");
    Row row = row(id);
    assertFalse(row.getBoolean("success"));
    assertTrue(((JsonObject) row.getValue("output_result")).getBoolean("degraded"));
    JsonObject features = (JsonObject) row.getValue("features_used");
    assertEquals(new JsonObject().put("loop", (String) null), features.getJsonObject("late_result"), "the late result is kept");
    assertEquals("timeout", features.getString("fallback"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", id));
  }

  @Test
  void anOrchestratorWriteAfterTheFallbackIsDropped() {
    UUID id = UUID.randomUUID();
    fallback(id, "race-2");
    assertFalse(insert(decision(id, "race-2"), false));
    assertFalse(row(id).getBoolean("success"));
  }

  /**
   * A fallback batch whose flush timed out after it had committed is spooled too, and replayed over itself at the
   * next start: the row stays as first written. (DurabilityIT's kill -9 run caught a replayed fallback naming its own
   * answer as a "late result", with no orchestrator result behind it.)
   */
  @Test
  void aFallbackWrittenTwiceStaysAsFirstWritten() {
    UUID id = UUID.randomUUID();
    fallback(id, "race-twice");
    fallback(id, "race-twice");
    JsonObject features = (JsonObject) row(id).getValue("features_used");
    assertFalse(features.containsKey("late_result"), features.encode());
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", id));
  }

  @Test
  void aFallbackForARequestIdHeldByAnEarlierDecisionIsStillLogged() {
    UUID first = UUID.randomUUID();
    assertTrue(insert(decision(first, "race-3"), false));
    UUID second = UUID.randomUUID();
    fallback(second, "race-3");
    Row row = row(second);
    assertNull(row.getString("request_id"));
    assertEquals("race-3", ((JsonObject) row.getValue("features_used")).getString("request_id"));
    assertTrue(row(first).getBoolean("success"), "the earlier decision is untouched");
  }

  @Test
  void aBatchIsOneCallWithAFlagPerRow() {
    UUID taken = UUID.randomUUID();
    assertTrue(insert(decision(taken, "race-4"), false));
    List<Inserted> flags = await(store.insertDecisions(List.of(decision(UUID.randomUUID(), "race-5"), decision(taken, "race-4"),
        decision(UUID.randomUUID(), "race-4")), false));
    assertEquals(List.of(Inserted.YES, Inserted.TAKEN, Inserted.TAKEN), flags, "a taken decision_id or request_id inserts nothing, and fails nothing");
  }

  @Test
  void replayKeepsADecisionWhoseRequestIdWasTakenMeanwhileAndSkipsOnesAlreadyThere() {
    UUID first = UUID.randomUUID();
    assertTrue(insert(decision(first, "race-6"), false));
    UUID spooled = UUID.randomUUID();
    assertTrue(insert(decision(spooled, "race-6"), true), "an acknowledged decision is never dropped");
    Row row = row(spooled);
    assertNull(row.getString("request_id"));
    assertEquals("race-6", ((JsonObject) row.getValue("features_used")).getString("request_id"));
    assertFalse(insert(decision(spooled, "race-6"), true), "replaying it again is a no-op");
    assertEquals(2, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id IN ($1, $2)", first, spooled));
  }

  @Test
  void replayOfOneBatchKeepsTwoDecisionsThatShareARequestId() {
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    List<Inserted> flags = await(store.insertDecisions(List.of(decision(first, "race-7"), decision(second, "race-7"),
        decision(first, "race-7")), true));
    assertEquals(List.of(Inserted.YES, Inserted.YES, Inserted.TAKEN), flags, "both land once; the repeated decision_id is already there");
    assertEquals("race-7", row(first).getString("request_id"), "the earlier row of the batch keeps the request_id");
    assertNull(row(second).getString("request_id"));
    assertEquals("race-7", ((JsonObject) row(second).getValue("features_used")).getString("request_id"));
  }

  @Test
  void aSelectionDecidedOnAStaleSequenceDoesNotGoIn() {
    long loopId = svc.count("SELECT min(id) FROM viral_loops");
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC);
    DecisionRecord first = selection("guard-a", loopId, 0L, at);
    DecisionRecord second = selection("guard-b", loopId, 0L, at);
    assertEquals(List.of(Inserted.YES), await(store.insertDecisions(List.of(first), false)));
    assertEquals(List.of(Inserted.STALE), await(store.insertDecisions(List.of(second), false)),
        "decided on sequence 0 after another selection moved it to 1");
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", second.decisionId()));
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'guarded'"));
    assertEquals(List.of(Inserted.YES), await(store.insertDecisions(List.of(selection("guard-c", loopId, 1L, at)), false)));
    assertEquals(2, svc.count("SELECT selection_seq FROM learners WHERE user_id = 'guarded'"));
    assertEquals(List.of(Inserted.YES), await(store.insertDecisions(List.of(selection("guard-d", loopId, 0L, at)), true)),
        "replay never checks the guard: the caller was already answered");
  }

  static DecisionRecord selection(String requestId, long loopId, Long guard, OffsetDateTime at) {
    return new DecisionRecord(UUID.randomUUID(), requestId, "select_loop", "guarded",
        new JsonObject().put("user_id", "guarded").put("request_id", requestId), new JsonObject(), "guarded",
        new JsonObject(), loopId, 0.5, null, guard, at);
  }

  @Test
  void aBatchWritesEachDecisionsEventAndExposureWithIt() {
    long loopId = svc.count("SELECT min(id) FROM viral_loops");
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
    List<DecisionRecord> batch = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      EventRecord event = new EventRecord(UUID.randomUUID(), "session_ended", "bulk-" + i, at, at,
          new JsonObject().put("i", i));
      // Only a selection that counts carries the learner's guard sequence (0: a learner never seen).
      batch.add(new DecisionRecord(UUID.randomUUID(), "bulk-" + i, "trigger_event", "bulk-" + i,
          new JsonObject().put("i", i), new JsonObject(), "bulk", new JsonObject(), i == 1 ? loopId : null, 0.5, event,
          i == 1 ? 0L : null, at));
    }
    assertEquals(List.of(Inserted.YES, Inserted.YES, Inserted.YES), await(store.insertDecisions(batch, false)));
    for (int i = 0; i < 3; i++) {
      DecisionRecord d = batch.get(i);
      Row event = svc.query("SELECT * FROM viral_events WHERE event_id = $1", d.event().eventId()).iterator().next();
      assertEquals("bulk-" + i, event.getString("request_id"));
      assertEquals(new JsonObject().put("i", i), event.getValue("context"));
      assertEquals(at.toInstant(), event.getOffsetDateTime("occurred_at").toInstant());
      assertEquals(d.event().eventId(), row(d.decisionId()).getUUID("event_id"));
      assertEquals(i == 1 ? 1 : 0, svc.count("SELECT count(*) FROM loop_exposures WHERE decision_id = $1", d.decisionId()),
          "only the decision that selected a loop is an exposure");
    }
  }

  static FallbackRecord fallbackRecord(UUID id, String requestId) {
    return new FallbackRecord(id, requestId, "select_loop", new JsonObject().put("user_id", "race").put("request_id", requestId),
        new JsonObject().put("degraded", true), "default", new JsonObject().put("fallback", "circuit_open"), 0.1, null);
  }

  @Test
  void aBatchOfFallbacksIsOneStatementThatRewritesLateRowsAndKeepsEveryAnswer() {
    UUID late = UUID.randomUUID();
    assertTrue(insert(decision(late, "race-8"), false));
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    await(store.upsertFallbacks(List.of(fallbackRecord(late, "race-8"), fallbackRecord(first, "race-9"),
        fallbackRecord(second, "race-9"))));
    Row rewritten = row(late);
    assertFalse(rewritten.getBoolean("success"));
    assertEquals("race-8", rewritten.getString("request_id"), "its own request_id is not taken from it");
    assertEquals(new JsonObject().put("loop", (String) null),
        ((JsonObject) rewritten.getValue("features_used")).getJsonObject("late_result"));
    assertEquals("race-9", row(first).getString("request_id"));
    assertNull(row(second).getString("request_id"), "the second answer for race-9 is kept without the id");
    assertEquals("race-9", ((JsonObject) row(second).getValue("features_used")).getString("request_id"));
  }

  /** V7: a decision without a loop writes no loop_id index entry, and a loop's decisions are still found by index. */
  @Test
  void aLoopsDecisionsAreFoundThroughThePartialLoopIndex() {
    String definition = svc.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'agent_decisions_loop_id_idx'")
        .iterator().next().getString(0);
    assertTrue(definition.endsWith("WHERE (loop_id IS NOT NULL)"), definition);
    StringBuilder plan = new StringBuilder();
    await(svc.sql.withConnection(conn -> conn.query("SET enable_seqscan = off").execute()
        .compose(v -> conn.preparedQuery("EXPLAIN SELECT decision_id FROM agent_decisions WHERE loop_id = $1")
            .execute(io.vertx.sqlclient.Tuple.of(1L)))))
        .forEach(line -> plan.append(line.getString(0)).append('\n'));
    // Each day partition (V14) has its own copy of the index, named after the partition.
    assertTrue(plan.toString().contains("_loop_id_idx"), plan.toString());
  }
}
