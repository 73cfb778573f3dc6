package viralengine.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The audit trail: events, decisions and loop exposures. Each decision is written by one statement,
 * so its event and exposure land with it or not at all.
 *
 * <p>Two writers may target the same {@code decision_id}: the orchestrator, and the HTTP side when the
 * circuit breaker answered in the orchestrator's place. The orchestrator never overwrites; the
 * fallback always does, keeping any result that landed late under {@code features_used.late_result}.
 * So whichever commits last, the row says what the caller was told.
 */
public final class DecisionStore {
  static final String AGENT_ID = "orchestrator";

  private static final String DECISION_COLUMNS =
      "decision_id, request_id, agent_id, method, input_params, output_result, rationale, features_used, "
          + "loop_id, latency_ms, event_id, success";

  private static final String INSERT_DECISION = "WITH decision AS ("
      + " INSERT INTO agent_decisions (" + DECISION_COLUMNS + ")"
      + " VALUES ($1, $2, '" + AGENT_ID + "', $3, $4, $5, $6, $7, $8, $9, $10, true)"
      + " ON CONFLICT DO NOTHING RETURNING decision_id, loop_id),"
      + " event AS ("
      + " INSERT INTO viral_events (event_id, request_id, event_type, user_id, occurred_at, received_at, context, processed)"
      + " SELECT $10, $2, $11, $12, $13, $14, $15, true FROM decision WHERE $10::uuid IS NOT NULL),"
      + " exposure AS ("
      + " INSERT INTO loop_exposures (user_id, loop_id, decision_id)"
      + " SELECT $12, loop_id, decision_id FROM decision WHERE loop_id IS NOT NULL)"
      + " SELECT count(*) AS inserted FROM decision";

  private static final String UPSERT_FALLBACK = "INSERT INTO agent_decisions ("
      + "decision_id, request_id, agent_id, method, input_params, output_result, rationale, features_used, "
      + "latency_ms, success, error_code)"
      + " VALUES ($1, $2, '" + AGENT_ID + "', $3, $4, $5, $6, $7, $8, false, $9)"
      + " ON CONFLICT (decision_id) DO UPDATE SET success = false, error_code = EXCLUDED.error_code,"
      + " output_result = EXCLUDED.output_result, rationale = EXCLUDED.rationale, latency_ms = EXCLUDED.latency_ms,"
      + " features_used = EXCLUDED.features_used || jsonb_build_object('late_result', agent_decisions.output_result)";

  private static final String FIND_BY_REQUEST_ID = "SELECT method = $2 AND input_params = $3 AS same_request,"
      + " output_result, error_code FROM agent_decisions WHERE request_id = $1";

  private static final String UNIQUE_VIOLATION = "23505";

  private final Pool pool;
  private final AtomicInteger pending = new AtomicInteger();

  public DecisionStore(Pool pool) {
    this.pool = pool;
  }

  /** Writes the decision with its event and exposure. Completes with false when the request_id or decision_id was taken. */
  public Future<Boolean> record(DecisionRecord d) {
    EventRecord e = d.event();
    Tuple args = Tuple.of(d.decisionId(), d.requestId(), d.method(), d.inputParams(), d.outputResult(),
        d.rationale(), d.featuresUsed(), d.loopId(), d.latencyMs(), e == null ? null : e.eventId())
        .addValue(e == null ? null : e.eventType())
        .addValue(d.userId())
        .addValue(e == null ? null : e.occurredAt())
        .addValue(e == null ? null : e.receivedAt())
        .addValue(e == null ? null : e.context());
    return tracked(pool.preparedQuery(INSERT_DECISION).execute(args)
        .map(rows -> rows.iterator().next().getLong("inserted") > 0));
  }

  /**
   * Records the answer the circuit breaker gave in the orchestrator's place. When the request_id is
   * already held by an earlier decision, the row is written without it and names it in features_used.
   */
  public Future<Void> recordFallback(UUID decisionId, String requestId, String method, JsonObject params,
      JsonObject output, String rationale, JsonObject features, double latencyMs, Integer errorCode) {
    Future<Void> first = upsertFallback(decisionId, requestId, method, params, output, rationale, features, latencyMs, errorCode);
    if (requestId == null) {
      return tracked(first);
    }
    return tracked(first.recover(err -> isUniqueViolation(err)
        ? upsertFallback(decisionId, null, method, params, output, rationale,
            features.copy().put("request_id", requestId).put("request_id_held_by_earlier_decision", true),
            latencyMs, errorCode)
        : Future.failedFuture(err)));
  }

  private Future<Void> upsertFallback(UUID decisionId, String requestId, String method, JsonObject params,
      JsonObject output, String rationale, JsonObject features, double latencyMs, Integer errorCode) {
    return pool.preparedQuery(UPSERT_FALLBACK)
        .execute(Tuple.of(decisionId, requestId, method, params, output, rationale, features, latencyMs, errorCode))
        .mapEmpty();
  }

  /** What the caller was told for this request_id, compared against a new request's method and params; null if none. */
  public Future<StoredOutcome> findByRequestId(String requestId, String method, JsonObject params) {
    return pool.preparedQuery(FIND_BY_REQUEST_ID).execute(Tuple.of(requestId, method, params))
        .map(rows -> rows.size() == 0 ? null : outcome(rows.iterator().next()));
  }

  private static StoredOutcome outcome(Row row) {
    return new StoredOutcome(row.getBoolean("same_request"), (JsonObject) row.getValue("output_result"),
        row.getInteger("error_code"));
  }

  /** Writes started and not yet finished. */
  public int pendingWrites() {
    return pending.get();
  }

  private <T> Future<T> tracked(Future<T> write) {
    pending.incrementAndGet();
    return write.andThen(done -> pending.decrementAndGet());
  }

  private static boolean isUniqueViolation(Throwable err) {
    return err instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
  }
}
