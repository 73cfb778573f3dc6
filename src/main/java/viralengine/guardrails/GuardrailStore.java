package viralengine.guardrails;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * What a guardrail is judged on: for one loop, over [from, to) and since the loop's last change (a changed loop,
 * a re-enabled one included, is a new treatment), its treated learners (a selection) and held-out learners (a
 * holdout whose counterfactual was the loop), and how many of each dismissed it, have since opted out of growth
 * loops, or had a decision of it reported to trust_safety (report_abuse; a held-out learner was shown nothing, so
 * there is nothing to report). Dry runs count toward nothing.
 */
final class GuardrailStore {
  /** $1 loop id, $2 from, $3 to. */
  static final String ARMS = "WITH d AS (SELECT d.decision_id, d.outcome AS arm,"
      + " coalesce(d.user_id, d.input_params ->> 'user_id') AS user_id FROM agent_decisions d"
      + " WHERE d.loop_id = $1 AND d.created_at >= greatest($2, (SELECT updated_at FROM viral_loops WHERE id = $1))"
      + " AND d.created_at < $3 AND d.outcome IN ('selected', 'holdout')"
      + " AND (d.features_used ->> 'dry_run') IS DISTINCT FROM 'true'),"
      + " arm_learners AS (SELECT arm, user_id, bool_or(EXISTS (SELECT 1 FROM loop_outcomes o"
      + " WHERE o.decision_id = d.decision_id AND o.outcome = 'dismissed')) AS dismissed,"
      + " bool_or(EXISTS (SELECT 1 FROM abuse_reports r WHERE r.decision_id = d.decision_id)) AS reported"
      + " FROM d GROUP BY arm, user_id)"
      + " SELECT a.arm, count(*) AS learners, count(*) FILTER (WHERE a.dismissed) AS dismissed,"
      + " count(*) FILTER (WHERE l.growth_opt_out) AS opted_out, count(*) FILTER (WHERE a.reported) AS reported"
      + " FROM arm_learners a LEFT JOIN learners l ON l.user_id = a.user_id GROUP BY a.arm";

  /** Learners of one arm, and how many of them dismissed the loop, opted out, or were reported. */
  record Arm(long learners, long dismissed, long optedOut, long reported) {
    static final Arm NONE = new Arm(0, 0, 0, 0);
  }

  /** The loop's treated and held-out learners. */
  record Arms(Arm treatment, Arm holdout) {}

  private final Pool pool;

  GuardrailStore(Pool pool) {
    this.pool = pool;
  }

  Future<Arms> arms(long loopId, Instant from, Instant to) {
    return pool.preparedQuery(ARMS).execute(Tuple.of(loopId, utc(from), utc(to))).map(rows -> {
      Arm treatment = Arm.NONE;
      Arm holdout = Arm.NONE;
      for (Row r : rows) {
        Arm arm = new Arm(r.getLong("learners"), r.getLong("dismissed"), r.getLong("opted_out"), r.getLong("reported"));
        if ("selected".equals(r.getString("arm"))) {
          treatment = arm;
        } else {
          holdout = arm;
        }
      }
      return new Arms(treatment, holdout);
    });
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
