package viralengine.safety;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import viralengine.incentives.Ledger;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.Ids;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/** The trust_safety agent's SQL: check_action's facts in one statement, reports, blocks. */
final class SafetyStore {
  /**
   * Everything check_action needs, in one round trip; each part is one index range (learner_blocks' key, loop_blocks'
   * key, loop_outcomes_invites_idx, loop_exposures_user_fired_idx, loop_outcomes_referred_idx, abuse_reports_user_idx).
   * The counts stop one past their limit: no more is needed to know a limit was passed.
   */
  private static final String FACTS = "SELECT"
      + " EXISTS (SELECT 1 FROM learner_blocks WHERE user_id = $1 AND (until IS NULL OR until > $2)) AS blocked,"
      + " EXISTS (SELECT 1 FROM loop_blocks WHERE user_id = $1 AND loop_id = $3 AND until > $2) AS loop_blocked,"
      + " (SELECT count(*) FROM (SELECT 1 FROM loop_outcomes WHERE user_id = $1 AND outcome = 'invite_sent'"
      + " AND occurred_at > $2 - interval '24 hours' LIMIT $4) i) AS invites,"
      + " (SELECT count(*) FROM (SELECT 1 FROM loop_exposures WHERE user_id = $1 AND fired_at > $2 - interval '1 hour'"
      + " LIMIT $5) s) AS selections,"
      + " EXISTS (SELECT 1 FROM loop_outcomes b JOIN loop_outcomes a ON a.referred_user_id = b.user_id"
      + " AND a.user_id = $1 AND a.outcome = 'joined' WHERE b.referred_user_id = $1 AND b.outcome = 'joined') AS ring,"
      + " (SELECT count(*) FROM (SELECT 1 FROM abuse_reports WHERE user_id = $1 AND reported_at > $2 - interval '30 days'"
      + " LIMIT 2) r) AS reports";
  private static final String DECISION = "SELECT a.input_params->>'user_id' AS user_id, a.loop_id, l.name AS loop,"
      + " a.success AND a.output_result->>'outcome' = 'selected' AND NOT coalesce((a.features_used->>'dry_run')::boolean,"
      + " false) AS shown FROM agent_decisions a LEFT JOIN viral_loops l ON l.id = a.loop_id WHERE a.decision_id = $1";
  private static final String BY_REQUEST = "SELECT input_params, result FROM abuse_reports WHERE request_id = $1";
  private static final String INSERT_REPORT = "INSERT INTO abuse_reports (report_id, request_id, decision_id, user_id,"
      + " loop_id, reason, reported_at, input_params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
      + " ON CONFLICT (request_id) DO NOTHING RETURNING report_id";
  private static final String BLOCK_LOOP = "INSERT INTO loop_blocks (user_id, loop_id, until, report_id) VALUES ($1, $2, $3, $4)";
  private static final String SAVE_RESULT = "UPDATE abuse_reports SET result = $2 WHERE report_id = $1";
  private static final String BLOCK_USER = "INSERT INTO learner_blocks (user_id, reason, until, blocked_at)"
      + " VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason, until = EXCLUDED.until,"
      + " blocked_at = EXCLUDED.blocked_at";
  private static final String UNBLOCK_USER = "DELETE FROM learner_blocks WHERE user_id = $1";
  private static final String BLOCKS = "SELECT user_id, reason, until, blocked_at FROM learner_blocks"
      + " WHERE until IS NULL OR until > $1 ORDER BY blocked_at DESC, user_id LIMIT $2";

  /** A report to record; {@code requestId} may be null (then every call is a new report). */
  record Report(UUID decisionId, String reason, String requestId, JsonObject params) {}

  /** Thrown inside the report's transaction to roll it back: the same request_id was recorded meanwhile. */
  private static final class Duplicate extends RuntimeException {
    Duplicate() {
      super(null, null, false, false);
    }
  }

  private final Pool pool;

  SafetyStore(Pool pool) {
    this.pool = pool;
  }

  Future<SafetyRules.Facts> facts(String userId, long loopId, Instant now, SafetyRules.Limits limits) {
    Tuple args = Tuple.of(userId, now.atOffset(ZoneOffset.UTC), loopId, limits.maxInvitesPerDay() + 1,
        limits.maxSelectionsPerHour() + 1);
    return pool.preparedQuery(FACTS).execute(args).map(rows -> {
      Row row = rows.iterator().next();
      return new SafetyRules.Facts(row.getBoolean("blocked"), row.getBoolean("loop_blocked"), row.getLong("invites"),
          row.getLong("selections"), row.getBoolean("ring"), row.getLong("reports"));
    });
  }

  /**
   * Records the report, revokes every grant made through the decision and blocks its loop for its learner until
   * {@code now + blockDays}, in one transaction. A request_id seen before answers the first report's result.
   */
  Future<JsonObject> report(Report report, Instant now, int blockDays) {
    return pool.withTransaction(conn -> earlier(conn, report).compose(found -> found != null
            ? Future.succeededFuture(found) : record(conn, report, now, blockDays)))
        .recover(err -> err instanceof Duplicate
            ? pool.withConnection(conn -> earlier(conn, report)) : Future.failedFuture(err));
  }

  private Future<JsonObject> record(SqlConnection conn, Report report, Instant now, int blockDays) {
    OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
    OffsetDateTime until = at.plus(blockDays, ChronoUnit.DAYS);
    UUID reportId = Ids.next();
    return conn.preparedQuery(DECISION).execute(Tuple.of(report.decisionId())).compose(rows -> {
      if (rows.size() == 0) {
        throw new RpcException(ErrorCodes.NOT_FOUND, "Decision not found: " + report.decisionId(),
            new JsonObject().put("decision_id", report.decisionId().toString()));
      }
      Row decision = rows.iterator().next();
      if (!Boolean.TRUE.equals(decision.getBoolean("shown")) || decision.getLong("loop_id") == null) {
        throw RpcException.invalidParams("decision_id", "names a decision that showed no loop: there is nothing to report");
      }
      String userId = decision.getString("user_id");
      long loopId = decision.getLong("loop_id");
      JsonObject result = new JsonObject().put("report_id", reportId.toString())
          .put("decision_id", report.decisionId().toString()).put("user_id", userId).put("loop", decision.getString("loop"))
          .put("loop_blocked_until", until.toInstant().toString());
      Tuple values = Tuple.of(reportId, report.requestId(), report.decisionId(), userId, loopId, report.reason(), at)
          .addValue(report.params());
      return conn.preparedQuery(INSERT_REPORT).execute(values).compose(inserted -> {
        if (inserted.size() == 0) {
          throw new Duplicate();
        }
        return conn.preparedQuery(Ledger.REVOKE_DECISION).execute(Tuple.of(report.decisionId(), "abuse report " + reportId, at));
      }).compose(revoked -> {
        JsonArray ids = new JsonArray();
        revoked.forEach(row -> ids.add(row.getUUID("grant_id").toString()));
        result.put("revoked_grants", ids);
        return conn.preparedQuery(BLOCK_LOOP).execute(Tuple.of(userId, loopId, until, reportId));
      }).compose(blocked -> conn.preparedQuery(SAVE_RESULT).execute(Tuple.of(reportId, result))).map(saved -> result);
    });
  }

  private static Future<JsonObject> earlier(SqlConnection conn, Report report) {
    if (report.requestId() == null) {
      return Future.succeededFuture(null);
    }
    return conn.preparedQuery(BY_REQUEST).execute(Tuple.of(report.requestId())).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      if (!report.params().equals(row.getValue("input_params"))) {
        throw new RpcException(ErrorCodes.IDEMPOTENCY_CONFLICT,
            "Idempotency conflict: request_id was already used with different params",
            new JsonObject().put("request_id", report.requestId()));
      }
      return (JsonObject) row.getValue("result");
    });
  }

  Future<JsonObject> block(String userId, String reason, OffsetDateTime until, Instant now) {
    return pool.preparedQuery(BLOCK_USER).execute(Tuple.of(userId, reason, until, now.atOffset(ZoneOffset.UTC)))
        .map(done -> new JsonObject().put("user_id", userId).put("blocked", true)
            .put("until", until == null ? null : until.toInstant().toString()));
  }

  Future<JsonObject> unblock(String userId) {
    return pool.preparedQuery(UNBLOCK_USER).execute(Tuple.of(userId))
        .map(done -> new JsonObject().put("user_id", userId).put("unblocked", done.rowCount() > 0));
  }

  Future<JsonObject> blocks(int limit, Instant now) {
    return pool.preparedQuery(BLOCKS).execute(Tuple.of(now.atOffset(ZoneOffset.UTC), limit)).map(rows -> {
      JsonArray blocks = new JsonArray();
      for (Row row : rows) {
        OffsetDateTime until = row.getOffsetDateTime("until");
        blocks.add(new JsonObject().put("user_id", row.getString("user_id")).put("reason", row.getString("reason"))
            .put("until", until == null ? null : until.toInstant().toString())
            .put("blocked_at", row.getOffsetDateTime("blocked_at").toInstant().toString()));
      }
      return new JsonObject().put("blocks", blocks);
    });
  }
}
