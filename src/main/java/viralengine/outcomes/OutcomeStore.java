package viralengine.outcomes;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.UUID;

/** SQL for outcomes and for explaining a decision. */
public final class OutcomeStore {
  static final String HOLDOUT = "holdout";
  /**
   * Looks up the decision and, when outcomes may be recorded for it, inserts the outcome, in one statement.
   * The learner and the loop come from the decision itself, never from the caller.
   */
  private static final String RECORD = "WITH d AS (SELECT a.decision_id, a.loop_id, a.input_params->>'user_id' AS user_id,"
      + " a.output_result->>'outcome' AS decided, coalesce((a.features_used->>'dry_run')::boolean, false) AS dry_run,"
      + " a.success, a.variant, l.name AS loop FROM agent_decisions a LEFT JOIN viral_loops l ON l.id = a.loop_id"
      + " WHERE a.decision_id = $1),"
      // The variant is the one the decision showed: a shown outcome is an exposure to it.
      + " ins AS (INSERT INTO loop_outcomes (outcome_id, request_id, decision_id, user_id, loop_id, outcome, occurred_at,"
      + " referred_user_id, context, input_params, variant)"
      + " SELECT $2, $3, d.decision_id, d.user_id, d.loop_id, $4, $5, $6, $7, $8, d.variant FROM d"
      + " WHERE d.success AND d.decided IN ('selected', 'holdout') AND NOT d.dry_run"
      + " ON CONFLICT DO NOTHING RETURNING outcome_id),"
      // A dismissal starts a cooldown: it advances the learner's guard, so a selection decided without it is redone.
      + " bump AS (UPDATE learners SET selection_seq = selection_seq + 1 WHERE $4 = 'dismissed'"
      + " AND user_id = (SELECT user_id FROM d) AND EXISTS (SELECT 1 FROM ins))"
      + " SELECT d.*, (SELECT outcome_id FROM ins) AS inserted FROM d";

  private static final String BY_REQUEST_ID = "SELECT outcome_id, decision_id, outcome, occurred_at, input_params"
      + " FROM loop_outcomes WHERE request_id = $1";

  private static final String EXPLAIN = "SELECT a.decision_id, a.request_id, a.method, a.input_params, a.output_result,"
      + " a.rationale, a.features_used, a.success, a.error_code, a.latency_ms, a.created_at, l.name AS loop,"
      // Only a tombstone (erased:...) can name an erasure: a live learner costs no look-up.
      + " a.user_id LIKE 'erased:%' AND EXISTS (SELECT 1 FROM learner_erasures e WHERE e.tombstone = a.user_id)"
      + " AS learner_erased,"
      + " coalesce((SELECT jsonb_agg(jsonb_build_object('outcome_id', o.outcome_id, 'outcome', o.outcome,"
      + " 'occurred_at', o.occurred_at, 'recorded_at', o.recorded_at, 'referred_user_id', o.referred_user_id,"
      + " 'context', o.context, 'last_touch', CASE WHEN o.referred_user_id IS NULL THEN NULL ELSE NOT EXISTS ("
      + " SELECT 1 FROM loop_outcomes later WHERE later.referred_user_id = o.referred_user_id"
      + " AND later.outcome = o.outcome AND (later.occurred_at, later.id) > (o.occurred_at, o.id)) END)"
      + " ORDER BY o.occurred_at, o.id) FROM loop_outcomes o WHERE o.decision_id = a.decision_id), '[]'::jsonb) AS outcomes"
      + " FROM agent_decisions a LEFT JOIN viral_loops l ON l.id = a.loop_id WHERE a.decision_id = $1";

  /** An outcome to record: the caller's params, already validated. */
  public record NewOutcome(UUID decisionId, String outcome, OffsetDateTime occurredAt, String requestId,
      String referredUserId, JsonObject context, JsonObject params) {}

  /**
   * What recording found: the decision (null fields when there is none), and whether the outcome went in.
   *
   * @param found whether the decision exists
   * @param decided the decision's outcome field (null for fallback rows)
   */
  public record Recorded(boolean found, UUID outcomeId, boolean inserted, String decided, boolean success, boolean dryRun, String loop,
      String userId) {}

  /** The outcome first recorded under a request_id. */
  public record Earlier(UUID outcomeId, UUID decisionId, String outcome, OffsetDateTime occurredAt, JsonObject params) {}

  private final Pool pool;

  public OutcomeStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Recorded> record(NewOutcome o, UUID outcomeId) {
    return pool.preparedQuery(RECORD).execute(Tuple.of(o.decisionId(), outcomeId, o.requestId(), o.outcome(),
            o.occurredAt(), o.referredUserId(), o.context(), o.params()))
        .map(rows -> {
          if (rows.size() == 0) {
            return new Recorded(false, null, false, null, false, false, null, null);
          }
          Row row = rows.iterator().next();
          UUID inserted = row.getUUID("inserted");
          return new Recorded(true, inserted, inserted != null, row.getString("decided"), row.getBoolean("success"),
              row.getBoolean("dry_run"), row.getString("loop"), row.getString("user_id"));
        });
  }

  public Future<Earlier> byRequestId(String requestId) {
    return pool.preparedQuery(BY_REQUEST_ID).execute(Tuple.of(requestId)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      return new Earlier(row.getUUID("outcome_id"), row.getUUID("decision_id"), row.getString("outcome"),
          row.getOffsetDateTime("occurred_at"), (JsonObject) row.getValue("input_params"));
    });
  }

  private static String outcome(JsonObject output) {
    return output == null ? null : output.getString("outcome", output.getBoolean("degraded", false) ? "degraded" : null);
  }

  /** The decision with its outcomes, as explain_decision answers; null when there is no such decision. */
  public Future<JsonObject> explain(UUID decisionId) {
    return pool.preparedQuery(EXPLAIN).execute(Tuple.of(decisionId)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      JsonObject features = (JsonObject) row.getValue("features_used");
      JsonObject output = (JsonObject) row.getValue("output_result");
      features = features == null ? new JsonObject() : features;
      return new JsonObject()
          .put("decision_id", row.getUUID("decision_id").toString())
          .put("method", row.getString("method"))
          .put("decided_at", row.getOffsetDateTime("created_at").toString())
          .put("request_id", row.getString("request_id"))
          .put("success", row.getBoolean("success"))
          .put("error_code", row.getInteger("error_code"))
          .put("outcome", outcome(output))
          // A default decision's row may carry the loop of a result that landed late (see features_used.late_result),
          // and a holdout's row its counterfactual (see experiments); either way the caller was shown no loop.
          .put("loop", row.getBoolean("success") && !HOLDOUT.equals(outcome(output)) ? row.getString("loop") : null)
          .put("dry_run", features.getBoolean("dry_run", false))
          .put("config_version", features.getValue("config_version"))
          .put("rationale", row.getString("rationale"))
          .put("input", row.getValue("input_params"))
          .put("result", output)
          .put("checks", features.getJsonArray("checks", new JsonArray()))
          // The holdout and variant assignments the decision was made with (null for rows older than them).
          .put("experiments", features.getJsonObject("experiments"))
          // Each call to a peer agent (AGENTS.md "Audit"): empty when none was made.
          .put("agents", features.getJsonArray("agents", new JsonArray()))
          // The probability the strategy gave the chosen loop (null for rows older than propensities, or no loop).
          .put("propensity", features.getValue("propensity"))
          .put("features_used", features)
          .put("outcomes", row.getValue("outcomes") instanceof JsonArray list ? list : new JsonArray())
          .put("learner_erased", Boolean.TRUE.equals(row.getBoolean("learner_erased")));
    });
  }
}
