package viralengine.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * SQL for the audit trail: events, decisions and loop exposures. A batch of decisions is one statement
 * (one array per column), so each decision's event and exposure land with it or not at all, and the
 * whole group costs one plan, one round trip and one commit.
 *
 * <p>Two writers may target the same {@code decision_id}: the orchestrator, and the HTTP side when it
 * answered in the orchestrator's place. The orchestrator never overwrites; the fallback overwrites the
 * orchestrator's row, keeping a result that landed late under {@code features_used.late_result}, and a fallback
 * replayed over itself changes nothing. So whichever commits last,
 * the row says what the caller was told. Neither statement can fail on a duplicate, so one row never
 * sinks a batch.
 *
 * <p>request_id's uniqueness is {@code request_claims}' (V14: the log tables are partitioned by day, and a partitioned
 * table has no global unique index but on its key): a BEFORE INSERT trigger claims a row's request_id, and skips the row
 * when another decision holds it, as ON CONFLICT DO NOTHING did with the unique index.
 */
public final class DecisionStore {
  static final String AGENT_ID = "orchestrator";

  /**
   * The whole batch in one statement: one array per column, unnested in order. $16 = replay. Live
   * ({@code false}): a taken request_id or decision_id inserts nothing, which is the idempotency signal.
   * Replay from the spool ({@code true}): a taken decision_id means it is already there; a request_id
   * taken by another decision (or by an earlier row of the batch) is dropped from this row and named in
   * features_used, so that an acknowledged decision is never lost. Returns the decision ids that went in.
   */
  /** The plain columns loop_report and the bandit read (V4), kept beside the jsonb they come from. */
  static final String REPORT_COLUMNS = "user_id, event_type, outcome, variant";
  /**
   * Their values for an orchestrator's row, taken from the params and the answer themselves, so that a row replayed
   * from the spool fills them exactly as a live one: the event type decided for (select_loop's may be null), the
   * answer's outcome (selected, no_eligible_loop, opted_out or holdout) and the variant shown, if any.
   */
  static final String REPORT_VALUES = "user_id, input_params->>'event_type', output_result->>'outcome',"
      + " output_result->>'variant'";

  /**
   * When true ($16 on replay), rows whose request_id another decision claims in flight after the statement checked it
   * go in without it (V14's claim trigger reads the setting), as the statement does with one it finds taken: answers
   * already given are never dropped. Computed in {@code rid}, which the inserts read sorted, so before any row goes in.
   */
  private static final String KEEP_ROWS = " set_config('viral.request_id_taken', CASE WHEN $16 THEN 'keep_row'"
      + " ELSE 'skip_row' END, true) AS taken_mode";

  private static final String INSERT_DECISIONS = "WITH input AS ("
      + " SELECT DISTINCT ON (decision_id) * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[],"
      + " $6::text[], $7::jsonb[], $8::bigint[], $9::float8[], $10::uuid[], $11::text[], $12::text[], $13::timestamptz[],"
      + " $14::timestamptz[], $15::jsonb[], $17::bigint[], $18::timestamptz[]) WITH ORDINALITY AS t(decision_id, request_id,"
      + " method, input_params, output_result, rationale, features_used, loop_id, latency_ms, event_id, event_type, user_id,"
      + " occurred_at, received_at, context, guard_seq, decided_at, ord) ORDER BY decision_id, ord),"
      + " rid AS (SELECT input.*, CASE WHEN $16 AND request_id IS NOT NULL"
      + " AND (EXISTS (SELECT 1 FROM request_claims c WHERE c.request_id = input.request_id)"
      + " OR row_number() OVER (PARTITION BY request_id ORDER BY ord) > 1) THEN NULL ELSE request_id END AS kept_request_id,"
      + KEEP_ROWS + " FROM input),"
      // The invariant's guard: a selection advances its learner's sequence from the value it was decided on, or
      // does not go in. ON CONFLICT DO UPDATE re-checks the latest committed row, so of two racing writers one wins.
      + " claim AS (SELECT DISTINCT ON (user_id) user_id, guard_seq, decision_id FROM rid"
      + " WHERE guard_seq IS NOT NULL AND NOT $16 ORDER BY user_id, ord),"
      + " guard AS (INSERT INTO learners (user_id, selection_seq) SELECT user_id, guard_seq + 1 FROM claim"
      + " ON CONFLICT (user_id) DO UPDATE SET selection_seq = EXCLUDED.selection_seq"
      + " WHERE learners.selection_seq = EXCLUDED.selection_seq - 1 RETURNING user_id),"
      + " passed AS (SELECT claim.decision_id FROM claim JOIN guard USING (user_id)),"
      + " decision AS ("
      + " INSERT INTO agent_decisions (decision_id, request_id, agent_id, method, input_params, output_result, rationale,"
      + " features_used, loop_id, latency_ms, event_id, success, " + REPORT_COLUMNS + ")"
      + " SELECT decision_id, kept_request_id, '" + AGENT_ID + "', method, input_params, output_result, rationale,"
      + " CASE WHEN kept_request_id IS NULL AND request_id IS NOT NULL"
      + " THEN features_used || jsonb_build_object('request_id', request_id, 'request_id_held_by_earlier_decision', true)"
      + " ELSE features_used END,"
      + " loop_id, latency_ms, event_id, true, " + REPORT_VALUES + " FROM rid"
      + " WHERE guard_seq IS NULL OR $16 OR decision_id IN (SELECT decision_id FROM passed) ORDER BY ord"
      + " ON CONFLICT DO NOTHING RETURNING decision_id, loop_id, request_id),"
      + " event AS ("
      + " INSERT INTO viral_events (event_id, request_id, event_type, user_id, occurred_at, received_at, context, processed)"
      + " SELECT rid.event_id, decision.request_id, rid.event_type, rid.user_id, rid.occurred_at, rid.received_at,"
      + " rid.context, true FROM decision JOIN rid USING (decision_id) WHERE rid.event_id IS NOT NULL ORDER BY rid.ord),"
      + " exposure AS ("
      + " INSERT INTO loop_exposures (user_id, loop_id, decision_id, fired_at, event_type)"
      + " SELECT rid.user_id, decision.loop_id, decision.decision_id, coalesce(rid.decided_at, now()),"
      + " rid.input_params->>'event_type'"
      + " FROM decision JOIN rid USING (decision_id) WHERE decision.loop_id IS NOT NULL AND rid.guard_seq IS NOT NULL),"
      // A selection that counts stores the learner's variant on first assignment; a later one (same key) changes nothing.
      + " assigned AS (INSERT INTO learner_variants (user_id, loop_id, variant, assigned_at)"
      + " SELECT rid.user_id, decision.loop_id, rid.output_result->>'variant', coalesce(rid.decided_at, now())"
      + " FROM decision JOIN rid USING (decision_id) WHERE decision.loop_id IS NOT NULL AND rid.guard_seq IS NOT NULL"
      + " AND rid.output_result->>'variant' IS NOT NULL ORDER BY rid.ord ON CONFLICT DO NOTHING)"
      + " SELECT decision_id, true AS inserted FROM decision"
      + " UNION ALL SELECT decision_id, false FROM rid WHERE guard_seq IS NOT NULL AND NOT $16"
      + " AND decision_id NOT IN (SELECT decision_id FROM passed)";

  /** A fallback batch's columns, unnested in order (shared by the upsert and the claim). */
  private static final String FALLBACK_INPUT = "SELECT DISTINCT ON (decision_id) * FROM unnest($1::uuid[], $2::text[],"
      + " $3::text[], $4::jsonb[], $5::jsonb[], $6::text[], $7::jsonb[], $8::float8[], $9::int[], $10::uuid[], $11::text[],"
      + " $12::timestamptz[], $13::timestamptz[], $14::jsonb[]) WITH ORDINALITY AS t(decision_id, request_id, method,"
      + " input_params, output_result, rationale, features_used, latency_ms, error_code, event_id, event_type, occurred_at,"
      + " received_at, context, ord) ORDER BY decision_id, ord";
  /** A fallback row's own columns, from {@code rid}, after the insert's column list. */
  private static final String FALLBACK_COLUMNS = " (decision_id, request_id, agent_id, method, input_params, output_result,"
      + " rationale, features_used, latency_ms, success, error_code, event_id, " + REPORT_COLUMNS + ")";
  /** A default decision (no error code) is outcome degraded; a failed call has none. */
  private static final String FALLBACK_REPORT_VALUES = " latency_ms, false, error_code, event_id, input_params->>'user_id',"
      + " input_params->>'event_type', CASE WHEN error_code IS NULL THEN 'degraded' END, NULL";
  /**
   * A trigger_event answered in the orchestrator's place still records its event (processed false: no handler ran),
   * once: only beside a fallback row that went in fresh, never beside one written over the orchestrator's row (whose
   * own event is there already). Needs CTEs {@code rid} and {@code decision(decision_id, fresh)}.
   */
  private static final String FALLBACK_EVENT = " event AS (INSERT INTO viral_events (event_id, request_id, event_type,"
      + " user_id, occurred_at, received_at, context, processed) SELECT rid.event_id, decision.request_id, rid.event_type,"
      + " rid.input_params->>'user_id', rid.occurred_at, rid.received_at, rid.context, false FROM decision"
      + " JOIN rid USING (decision_id) WHERE decision.fresh AND rid.event_id IS NOT NULL ORDER BY rid.ord"
      + " ON CONFLICT DO NOTHING)";

  /**
   * A batch of fallbacks in one statement, like {@link #INSERT_DECISIONS}. A request_id held by another
   * decision (or an earlier row of the batch) is dropped from the row and named in features_used.
   */
  private static final String UPSERT_FALLBACKS = "WITH input AS (" + FALLBACK_INPUT + "),"
      + " rid AS (SELECT input.*, CASE WHEN request_id IS NOT NULL"
      + " AND (EXISTS (SELECT 1 FROM request_claims c WHERE c.request_id = input.request_id"
      + " AND c.row_key <> input.decision_id)"
      + " OR row_number() OVER (PARTITION BY request_id ORDER BY ord) > 1) THEN NULL ELSE request_id END AS kept_request_id,"
      + KEEP_ROWS.replace("$16", "true") + " FROM input),"
      + " decision AS (INSERT INTO agent_decisions" + FALLBACK_COLUMNS
      + " SELECT decision_id, kept_request_id, '" + AGENT_ID + "', method, input_params, output_result, rationale,"
      + " CASE WHEN kept_request_id IS NULL AND request_id IS NOT NULL"
      + " THEN features_used || jsonb_build_object('request_id', request_id, 'request_id_held_by_earlier_decision', true)"
      + " ELSE features_used END," + FALLBACK_REPORT_VALUES + " FROM rid ORDER BY ord"
      + " ON CONFLICT (decision_id) DO UPDATE SET success = false, error_code = EXCLUDED.error_code,"
      + " output_result = EXCLUDED.output_result, rationale = EXCLUDED.rationale, latency_ms = EXCLUDED.latency_ms,"
      + " outcome = EXCLUDED.outcome, variant = NULL, event_id = coalesce(EXCLUDED.event_id, agent_decisions.event_id),"
      + " features_used = EXCLUDED.features_used || jsonb_build_object('late_result', agent_decisions.output_result)"
      // Only over the orchestrator's row: a fallback replayed over itself (its flush timed out after it committed,
      // so it was spooled as well) leaves the row as first written.
      // Fresh: inserted, not written over the orchestrator's row, which alone gains features_used.late_result. (A
      // partitioned table, V14, cannot return xmax; and the statement's snapshot cannot tell either: the row it
      // overwrote may have committed after the snapshot was taken.)
      + " WHERE agent_decisions.success RETURNING decision_id, request_id, NOT features_used ? 'late_result' AS fresh),"
      + FALLBACK_EVENT + ","
      // Written over the orchestrator's row, the event it recorded takes the id the caller was told (every CTE reads
      // the statement's snapshot, so agent_decisions still shows the orchestrator's event id here).
      + " renamed AS (UPDATE viral_events v SET event_id = rid.event_id FROM decision JOIN rid USING (decision_id)"
      + " JOIN agent_decisions before ON before.decision_id = rid.decision_id"
      + " WHERE NOT decision.fresh AND rid.event_id IS NOT NULL AND v.event_id = before.event_id)"
      + " SELECT count(*) FROM decision";

  /**
   * Fallbacks that claim their request_id: each goes in only if neither its decision_id nor its request_id is taken
   * (PostgreSQL's unique indexes arbitrate, waiting on a write still in flight). Returns the decision ids that went
   * in; for the others, the request_id's first answer is what the caller must get.
   */
  private static final String CLAIM_FALLBACKS = "WITH input AS (" + FALLBACK_INPUT + "),"
      + " rid AS (SELECT * FROM input),"
      + " decision AS (INSERT INTO agent_decisions" + FALLBACK_COLUMNS
      + " SELECT decision_id, request_id, '" + AGENT_ID + "', method, input_params, output_result, rationale,"
      + " features_used," + FALLBACK_REPORT_VALUES + " FROM rid ORDER BY ord"
      + " ON CONFLICT DO NOTHING RETURNING decision_id, request_id, true AS fresh),"
      + FALLBACK_EVENT + " SELECT decision_id FROM decision";

  /** Through the request's claim (V14): its decision_id leads to one partition. */
  private static final String FIND_BY_REQUEST_ID = "SELECT method = $2 AND input_params = $3 AS same_request,"
      + " output_result, error_code FROM request_claims c JOIN agent_decisions a ON a.decision_id = c.row_key"
      + " WHERE c.request_id = $1 AND a.request_id = $1";

  private final Pool pool;

  public DecisionStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Inserts the decisions in one statement; for each, whether it went in. On replay ({@code true}) guards are not
   * checked: a spooled row was already answered.
   */
  public Future<List<Inserted>> insertDecisions(List<DecisionRecord> decisions, boolean replay) {
    Tuple columns = columns(decisions);
    return pool.preparedQuery(INSERT_DECISIONS).execute(columns.addValue(replay).addValue(guards(decisions))
        .addValue(decidedAt(decisions))).map(rows -> {
      Set<UUID> inserted = new HashSet<>();
      Set<UUID> stale = new HashSet<>();
      rows.forEach(row -> (row.getBoolean("inserted") ? inserted : stale).add(row.getUUID("decision_id")));
      List<Inserted> flags = new ArrayList<>(decisions.size());
      Set<UUID> seen = new HashSet<>();
      for (DecisionRecord d : decisions) {
        boolean first = seen.add(d.decisionId());
        flags.add(first && inserted.contains(d.decisionId()) ? Inserted.YES
            : first && stale.contains(d.decisionId()) ? Inserted.STALE : Inserted.TAKEN);
      }
      return flags;
    });
  }

  /**
   * Runs the batch insert and rolls it back: the warm-up's writes, which prepare the statement on a connection and
   * exercise PostgreSQL's side of the path, leave nothing behind.
   */
  public Future<Void> rehearse(List<DecisionRecord> decisions) {
    Tuple columns = columns(decisions).addValue(false).addValue(guards(decisions)).addValue(decidedAt(decisions));
    return pool.getConnection().compose(conn -> conn.begin()
        .compose(tx -> conn.preparedQuery(INSERT_DECISIONS).execute(columns).eventually(tx::rollback))
        .eventually(conn::close))
        .mapEmpty();
  }

  /** One round trip on the pool: completes when PostgreSQL answers. */
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /** Writes the answers given in the orchestrator's place, in one statement. */
  public Future<Void> upsertFallbacks(List<FallbackRecord> fallbacks) {
    return pool.preparedQuery(UPSERT_FALLBACKS).execute(fallbackColumns(fallbacks)).mapEmpty();
  }

  /** Writes answers given in the orchestrator's place that claim their request_id; for each, whether it went in. */
  public Future<List<Inserted>> claimFallbacks(List<FallbackRecord> fallbacks) {
    return pool.preparedQuery(CLAIM_FALLBACKS).execute(fallbackColumns(fallbacks)).map(rows -> {
      Set<UUID> inserted = new HashSet<>();
      rows.forEach(row -> inserted.add(row.getUUID("decision_id")));
      return fallbacks.stream().map(f -> inserted.contains(f.decisionId()) ? Inserted.YES : Inserted.TAKEN).toList();
    });
  }

  private static Tuple fallbackColumns(List<FallbackRecord> fallbacks) {
    int n = fallbacks.size();
    UUID[] decisionIds = new UUID[n];
    String[] requestIds = new String[n];
    String[] methods = new String[n];
    JsonObject[] params = new JsonObject[n];
    JsonObject[] outputs = new JsonObject[n];
    String[] rationales = new String[n];
    JsonObject[] features = new JsonObject[n];
    Double[] latencies = new Double[n];
    Integer[] errorCodes = new Integer[n];
    EventColumns events = new EventColumns(n);
    for (int i = 0; i < n; i++) {
      FallbackRecord f = fallbacks.get(i);
      decisionIds[i] = f.decisionId();
      requestIds[i] = f.requestId();
      methods[i] = f.method();
      params[i] = f.params();
      outputs[i] = f.output();
      rationales[i] = f.rationale();
      features[i] = f.features();
      latencies[i] = f.latencyMs();
      errorCodes[i] = f.errorCode();
      events.set(i, f.event());
    }
    return Tuple.of(decisionIds, requestIds, methods, params, outputs, rationales, features, latencies, errorCodes,
        events.ids, events.types, events.occurred).addValue(events.received).addValue(events.contexts);
  }

  /** A batch's event columns, one array each; a row without an event leaves its slots null. */
  private static final class EventColumns {
    final UUID[] ids;
    final String[] types;
    final OffsetDateTime[] occurred;
    final OffsetDateTime[] received;
    final JsonObject[] contexts;

    EventColumns(int n) {
      ids = new UUID[n];
      types = new String[n];
      occurred = new OffsetDateTime[n];
      received = new OffsetDateTime[n];
      contexts = new JsonObject[n];
    }

    void set(int i, EventRecord e) {
      if (e != null) {
        ids[i] = e.eventId();
        types[i] = e.eventType();
        occurred[i] = e.occurredAt();
        received[i] = e.receivedAt();
        contexts[i] = e.context();
      }
    }
  }

  /** What the caller was told for this request_id, compared against a new request's method and params; null if none. */
  public Future<StoredOutcome> findByRequestId(String requestId, String method, JsonObject params) {
    return pool.preparedQuery(FIND_BY_REQUEST_ID).execute(Tuple.of(requestId, method, params))
        .map(rows -> rows.size() == 0 ? null : outcome(rows.iterator().next()));
  }

  /** The batch as one array per column, in the order of {@link #INSERT_DECISIONS}'s unnest. */
  private static Tuple columns(List<DecisionRecord> decisions) {
    int n = decisions.size();
    UUID[] decisionIds = new UUID[n];
    String[] requestIds = new String[n];
    String[] methods = new String[n];
    JsonObject[] inputs = new JsonObject[n];
    JsonObject[] outputs = new JsonObject[n];
    String[] rationales = new String[n];
    JsonObject[] features = new JsonObject[n];
    Long[] loopIds = new Long[n];
    Double[] latencies = new Double[n];
    String[] userIds = new String[n];
    EventColumns events = new EventColumns(n);
    for (int i = 0; i < n; i++) {
      DecisionRecord d = decisions.get(i);
      decisionIds[i] = d.decisionId();
      requestIds[i] = d.requestId();
      methods[i] = d.method();
      inputs[i] = d.inputParams();
      outputs[i] = d.outputResult();
      rationales[i] = d.rationale();
      features[i] = d.featuresUsed();
      loopIds[i] = d.loopId();
      latencies[i] = d.latencyMs();
      userIds[i] = d.userId();
      events.set(i, d.event());
    }
    return Tuple.of(decisionIds, requestIds, methods, inputs, outputs, rationales, features, loopIds, latencies,
        events.ids, events.types, userIds).addValue(events.occurred).addValue(events.received).addValue(events.contexts);
  }

  private static Long[] guards(List<DecisionRecord> decisions) {
    Long[] seqs = new Long[decisions.size()];
    for (int i = 0; i < seqs.length; i++) {
      seqs[i] = decisions.get(i).guardSeq();
    }
    return seqs;
  }

  private static OffsetDateTime[] decidedAt(List<DecisionRecord> decisions) {
    OffsetDateTime[] times = new OffsetDateTime[decisions.size()];
    for (int i = 0; i < times.length; i++) {
      times[i] = decisions.get(i).decidedAt();
    }
    return times;
  }

  private static StoredOutcome outcome(Row row) {
    return new StoredOutcome(row.getBoolean("same_request"), (JsonObject) row.getValue("output_result"),
        row.getInteger("error_code"));
  }
}
