package viralengine.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/**
 * SQL for the audit trail: events, decisions and loop exposures. Each decision is one statement, so
 * its event and exposure land with it or not at all; a batch of them is one {@code executeBatch}, which
 * PostgreSQL runs as one implicit transaction: one commit for the whole group.
 *
 * <p>Two writers may target the same {@code decision_id}: the orchestrator, and the HTTP side when it
 * answered in the orchestrator's place. The orchestrator never overwrites; the fallback always does,
 * keeping a result that landed late under {@code features_used.late_result}. So whichever commits last,
 * the row says what the caller was told. Neither statement can fail on a duplicate, so one row never
 * sinks a batch.
 */
public final class DecisionStore {
  static final String AGENT_ID = "orchestrator";

  /**
   * $16 = replay. Live ({@code false}): a taken request_id or decision_id inserts nothing, which is the
   * idempotency signal. Replay from the spool ({@code true}): a taken decision_id means it is already
   * there; a request_id taken by another decision is dropped from this row (and named in features_used)
   * so that an acknowledged decision is never lost.
   */
  private static final String INSERT_DECISION = "WITH rid AS ("
      + " SELECT CASE WHEN $16 AND EXISTS (SELECT 1 FROM agent_decisions WHERE request_id = $2) THEN NULL"
      + " ELSE $2::text END AS request_id),"
      + " decision AS ("
      + " INSERT INTO agent_decisions (decision_id, request_id, agent_id, method, input_params, output_result, rationale,"
      + " features_used, loop_id, latency_ms, event_id, success)"
      + " SELECT $1, rid.request_id, '" + AGENT_ID + "', $3, $4, $5, $6,"
      + " CASE WHEN rid.request_id IS NULL AND $2 IS NOT NULL"
      + " THEN $7::jsonb || jsonb_build_object('request_id', $2::text, 'request_id_held_by_earlier_decision', true)"
      + " ELSE $7::jsonb END,"
      + " $8, $9, $10, true FROM rid"
      + " ON CONFLICT DO NOTHING RETURNING decision_id, loop_id, request_id),"
      + " event AS ("
      + " INSERT INTO viral_events (event_id, request_id, event_type, user_id, occurred_at, received_at, context, processed)"
      + " SELECT $10, decision.request_id, $11, $12, $13, $14, $15, true FROM decision WHERE $10::uuid IS NOT NULL),"
      + " exposure AS ("
      + " INSERT INTO loop_exposures (user_id, loop_id, decision_id)"
      + " SELECT $12, loop_id, decision_id FROM decision WHERE loop_id IS NOT NULL)"
      + " SELECT count(*) AS inserted FROM decision";

  private static final String UPSERT_FALLBACK = "WITH rid AS ("
      + " SELECT CASE WHEN EXISTS (SELECT 1 FROM agent_decisions WHERE request_id = $2 AND decision_id <> $1) THEN NULL"
      + " ELSE $2::text END AS request_id)"
      + " INSERT INTO agent_decisions (decision_id, request_id, agent_id, method, input_params, output_result, rationale,"
      + " features_used, latency_ms, success, error_code)"
      + " SELECT $1, rid.request_id, '" + AGENT_ID + "', $3, $4, $5, $6,"
      + " CASE WHEN rid.request_id IS NULL AND $2 IS NOT NULL"
      + " THEN $7::jsonb || jsonb_build_object('request_id', $2::text, 'request_id_held_by_earlier_decision', true)"
      + " ELSE $7::jsonb END,"
      + " $8, false, $9 FROM rid"
      + " ON CONFLICT (decision_id) DO UPDATE SET success = false, error_code = EXCLUDED.error_code,"
      + " output_result = EXCLUDED.output_result, rationale = EXCLUDED.rationale, latency_ms = EXCLUDED.latency_ms,"
      + " features_used = EXCLUDED.features_used || jsonb_build_object('late_result', agent_decisions.output_result)";

  private static final String FIND_BY_REQUEST_ID = "SELECT method = $2 AND input_params = $3 AS same_request,"
      + " output_result, error_code FROM agent_decisions WHERE request_id = $1";

  private final Pool pool;

  public DecisionStore(Pool pool) {
    this.pool = pool;
  }

  /** Inserts the decisions in one transaction; for each, whether it went in (false: its id was taken). */
  public Future<List<Boolean>> insertDecisions(List<DecisionRecord> decisions, boolean replay) {
    List<Tuple> batch = new ArrayList<>(decisions.size());
    for (DecisionRecord d : decisions) {
      batch.add(decisionTuple(d, replay));
    }
    return pool.preparedQuery(INSERT_DECISION).executeBatch(batch).map(DecisionStore::insertedFlags);
  }

  /** Writes the answers given in the orchestrator's place, in one transaction. */
  public Future<Void> upsertFallbacks(List<FallbackRecord> fallbacks) {
    List<Tuple> batch = new ArrayList<>(fallbacks.size());
    for (FallbackRecord f : fallbacks) {
      batch.add(Tuple.of(f.decisionId(), f.requestId(), f.method(), f.params(), f.output(), f.rationale(),
          f.features(), f.latencyMs(), f.errorCode()));
    }
    return pool.preparedQuery(UPSERT_FALLBACK).executeBatch(batch).mapEmpty();
  }

  /** What the caller was told for this request_id, compared against a new request's method and params; null if none. */
  public Future<StoredOutcome> findByRequestId(String requestId, String method, JsonObject params) {
    return pool.preparedQuery(FIND_BY_REQUEST_ID).execute(Tuple.of(requestId, method, params))
        .map(rows -> rows.size() == 0 ? null : outcome(rows.iterator().next()));
  }

  private static Tuple decisionTuple(DecisionRecord d, boolean replay) {
    EventRecord e = d.event();
    return Tuple.of(d.decisionId(), d.requestId(), d.method(), d.inputParams(), d.outputResult(),
            d.rationale(), d.featuresUsed(), d.loopId(), d.latencyMs(), e == null ? null : e.eventId())
        .addValue(e == null ? null : e.eventType())
        .addValue(d.userId())
        .addValue(e == null ? null : e.occurredAt())
        .addValue(e == null ? null : e.receivedAt())
        .addValue(e == null ? null : e.context())
        .addValue(replay);
  }

  private static List<Boolean> insertedFlags(RowSet<Row> first) {
    List<Boolean> flags = new ArrayList<>();
    for (RowSet<Row> rows = first; rows != null; rows = rows.next()) {
      flags.add(rows.iterator().next().getLong("inserted") > 0);
    }
    return flags;
  }

  private static StoredOutcome outcome(Row row) {
    return new StoredOutcome(row.getBoolean("same_request"), (JsonObject) row.getValue("output_result"),
        row.getInteger("error_code"));
  }
}
