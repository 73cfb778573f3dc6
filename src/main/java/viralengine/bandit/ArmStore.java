package viralengine.bandit;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import viralengine.decision.Posteriors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bandit's one query: for each arm (loop, event type), its last {@code window} counted selections
 * ({@code loop_exposures}, so dry runs and holdouts never count) and how many of them were followed by an
 * {@code invite_sent} within 24 h of the selection. Each arm is one index range scan
 * ({@code loop_exposures_arm_idx}, V5) plus one lookup per selection in {@code loop_outcomes_decision_idx}.
 */
final class ArmStore {
  static final String ARMS = "SELECT a.loop_id, a.event_type, count(s.decision_id) AS trials,"
      + " count(s.decision_id) FILTER (WHERE s.rewarded) AS successes"
      + " FROM unnest($1::bigint[], $2::text[]) AS a(loop_id, event_type)"
      + " LEFT JOIN LATERAL (SELECT e.decision_id, EXISTS (SELECT 1 FROM loop_outcomes o"
      + " WHERE o.decision_id = e.decision_id AND o.outcome = $4"
      + " AND o.occurred_at <= e.fired_at + make_interval(hours => $5)) AS rewarded"
      + " FROM loop_exposures e WHERE e.loop_id = a.loop_id AND coalesce(e.event_type, '') = a.event_type"
      + " ORDER BY e.fired_at DESC LIMIT $3) s ON true"
      + " GROUP BY a.loop_id, a.event_type";

  /**
   * The recovering bandit's counts: each loop's last $2 selections, by the time since the same learner's previous
   * selection of that loop (Posteriors.Recency buckets: under a day, 1 to 7 days, longer or never), and how many
   * were rewarded as above. The previous selection is one probe of loop_exposures_user_fired_idx per selection.
   */
  static final String RECENCY = "SELECT a.loop_id, s.bucket, count(*) AS trials, count(*) FILTER (WHERE s.rewarded) AS successes"
      + " FROM unnest($1::bigint[]) AS a(loop_id) CROSS JOIN LATERAL (SELECT CASE WHEN p.prev IS NULL"
      + " OR e.fired_at - p.prev >= interval '7 days' THEN 2 WHEN e.fired_at - p.prev >= interval '1 day' THEN 1 ELSE 0 END"
      + " AS bucket, EXISTS (SELECT 1 FROM loop_outcomes o WHERE o.decision_id = e.decision_id AND o.outcome = $3"
      + " AND o.occurred_at <= e.fired_at + make_interval(hours => $4)) AS rewarded"
      + " FROM (SELECT x.decision_id, x.user_id, x.loop_id, x.fired_at FROM loop_exposures x WHERE x.loop_id = a.loop_id"
      + " ORDER BY x.fired_at DESC LIMIT $2) e LEFT JOIN LATERAL (SELECT max(q.fired_at) AS prev FROM loop_exposures q"
      + " WHERE q.user_id = e.user_id AND q.loop_id = e.loop_id AND q.fired_at < e.fired_at) p ON true) s"
      + " GROUP BY a.loop_id, s.bucket";

  private final Pool pool;
  private final String reward;
  private final int rewardWindowHours;

  ArmStore(Pool pool, String reward, int rewardWindowHours) {
    this.pool = pool;
    this.reward = reward;
    this.rewardWindowHours = rewardWindowHours;
  }

  /** The arms' counts, and with {@code recency} (the recovering bandit) each loop's counts by recency bucket. */
  Future<Posteriors> load(List<Posteriors.Arm> arms, int window, boolean recency) {
    Long[] loops = arms.stream().map(Posteriors.Arm::loopId).toArray(Long[]::new);
    String[] events = arms.stream().map(Posteriors.Arm::eventType).toArray(String[]::new);
    Future<Map<Posteriors.Recency, Posteriors.Stats>> byRecency = !recency ? Future.succeededFuture(Map.of())
        : pool.preparedQuery(RECENCY).execute(Tuple.of(arms.stream().map(Posteriors.Arm::loopId).distinct()
            .toArray(Long[]::new), window, reward, rewardWindowHours)).map(rows -> {
              Map<Posteriors.Recency, Posteriors.Stats> stats = new HashMap<>();
              for (Row row : rows) {
                stats.put(new Posteriors.Recency(row.getLong("loop_id"), row.getInteger("bucket")),
                    new Posteriors.Stats(row.getLong("trials"), row.getLong("successes")));
              }
              return stats;
            });
    return pool.preparedQuery(ARMS).execute(Tuple.of(loops, events, window, reward, rewardWindowHours))
        .compose(rows -> byRecency.map(recencyStats -> {
          Map<Posteriors.Arm, Posteriors.Stats> stats = new HashMap<>();
          for (Row row : rows) {
            stats.put(new Posteriors.Arm(row.getLong("loop_id"), row.getString("event_type")),
                new Posteriors.Stats(row.getLong("trials"), row.getLong("successes")));
          }
          return new Posteriors(stats, recencyStats);
        }));
  }
}
