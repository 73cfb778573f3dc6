package viralengine.report;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * loop_report's SQL (the rollups are V6__loop_report_rollups.sql). Whole hours of the range come from the
 * rollups; the partial first and last hour from agent_decisions and loop_outcomes. Both queries of one report
 * run in one repeatable-read transaction, so they see the same rows.
 */
public final class ReportStore {
  /** Chain levels (report_chain.level): a row per loop, per (loop, variant) or per (loop, event type). */
  static final String LOOP = "l";
  static final String VARIANT = "v";
  static final String EVENT_TYPE = "t";

  /** A decision the report counts, in the partial hours at the edges of the range ($1 from, $2 to, $3 H1, $4 H2). */
  private static final String EDGE = "edge AS ("
      + " SELECT d.decision_id, d.loop_id, CASE d.outcome WHEN 'selected' THEN 'treatment' ELSE 'holdout' END AS arm,"
      + " CASE CASE d.outcome WHEN 'holdout' THEN $6::text ELSE $5::text END WHEN 'l' THEN '' WHEN 'v' THEN coalesce(d.variant, '')"
      + " ELSE coalesce(d.event_type, '') END AS grp, coalesce(d.user_id, d.input_params ->> 'user_id') AS user_id"
      + " FROM agent_decisions d"
      + " WHERE ((d.created_at >= $1 AND d.created_at < $3) OR (d.created_at >= $4 AND d.created_at < $2))"
      + " AND d.loop_id IS NOT NULL AND d.outcome IN ('selected', 'holdout')"
      + " AND (d.features_used ->> 'dry_run') IS DISTINCT FROM 'true')";

  /** Additive figures per (loop, group, arm): edges from the raw rows, whole hours from report_hourly. */
  static final String FIGURES = "WITH " + EDGE + ","
      + " edge_figures AS (SELECT e.loop_id, e.grp, e.arm, count(*) AS decisions, sum(o.shown) AS shown,"
      + " sum(o.invite_sent) AS invite_sent, sum(o.joined) AS joined, sum(o.fvm_reached) AS fvm_reached"
      + " FROM edge e CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE outcome = 'shown') AS shown,"
      + " count(*) FILTER (WHERE outcome = 'invite_sent') AS invite_sent, count(*) FILTER (WHERE outcome = 'joined') AS joined,"
      + " count(*) FILTER (WHERE outcome = 'fvm_reached') AS fvm_reached FROM loop_outcomes lo"
      + " WHERE lo.decision_id = e.decision_id) o GROUP BY e.loop_id, e.grp, e.arm),"
      + " hour_figures AS (SELECT loop_id, CASE CASE arm WHEN 'holdout' THEN $6 ELSE $5 END WHEN 'l' THEN ''"
      + " WHEN 'v' THEN variant ELSE event_type END AS grp, arm, sum(decisions) AS decisions, sum(shown) AS shown,"
      + " sum(invite_sent) AS invite_sent, sum(joined) AS joined, sum(fvm_reached) AS fvm_reached"
      + " FROM report_hourly WHERE hour >= $3 AND hour < $4 GROUP BY 1, 2, 3)"
      + " SELECT f.loop_id, l.name, f.grp, f.arm, sum(f.decisions)::bigint AS decisions, sum(f.shown)::bigint AS shown,"
      + " sum(f.invite_sent)::bigint AS invite_sent, sum(f.joined)::bigint AS joined,"
      + " sum(f.fvm_reached)::bigint AS fvm_reached"
      + " FROM (SELECT * FROM edge_figures UNION ALL SELECT * FROM hour_figures) f JOIN viral_loops l ON l.id = f.loop_id"
      + " GROUP BY f.loop_id, l.name, f.grp, f.arm";

  /**
   * Distinct learners per (kind, loop, group): s selected, h held out, e exposed (a shown). Whole hours count each
   * learner once, at their first hour in [H1, H2) (prev_hour < H1); an edge learner counts when no hour of theirs
   * lies in [H1, H2).
   */
  static final String LEARNERS = "WITH " + EDGE + ","
      + " edge_links AS (SELECT CASE arm WHEN 'treatment' THEN 's' ELSE 'h' END AS kind, loop_id, grp, user_id FROM edge"
      + " UNION SELECT 'e', loop_id, grp, user_id FROM edge e WHERE arm = 'treatment'"
      + " AND EXISTS (SELECT 1 FROM loop_outcomes o WHERE o.decision_id = e.decision_id AND o.outcome = 'shown')),"
      + " edge_only AS (SELECT kind, loop_id, grp, count(*) AS learners FROM edge_links k"
      + " WHERE NOT EXISTS (SELECT 1 FROM report_chain c WHERE c.kind = k.kind::\"char\""
      + " AND c.level = (CASE k.kind WHEN 'h' THEN $6 ELSE $5 END)::\"char\" AND c.loop_id = k.loop_id AND c.grp = k.grp"
      + " AND c.user_id = k.user_id AND c.hour >= $3 AND c.hour < $4) GROUP BY 1, 2, 3),"
      + " hour_only AS (SELECT kind::text AS kind, loop_id, grp, sum(learners) AS learners FROM ("
      // links whose previous hour lies before the day of H1 ($7), by day; those in that day before H1, by hour
      + " SELECT kind, loop_id, grp, learners, level FROM report_learners_daily"
      + " WHERE level IN ($5::\"char\", $6::\"char\") AND hour >= $3 AND hour < $4 AND prev_day < $7"
      + " UNION ALL SELECT kind, loop_id, grp, learners, level FROM report_learners"
      + " WHERE level IN ($5::\"char\", $6::\"char\") AND prev_hour >= $7 AND prev_hour < $3 AND hour >= $3 AND hour < $4"
      + " ) links WHERE level = (CASE kind WHEN 'h' THEN $6 ELSE $5 END)::\"char\" GROUP BY 1, 2, 3)"
      + " SELECT kind, loop_id, grp, sum(learners)::bigint AS learners"
      + " FROM (SELECT * FROM edge_only UNION ALL SELECT * FROM hour_only) x GROUP BY 1, 2, 3";

  /**
   * Per policy, over the raw decisions of [$1, $2) (the rollups have no policy): the strategy each decision was
   * made with, {@code holdback} for a learner decided by priority under selection.holdback_percent, {@code holdout}
   * for a held-out learner; distinct learners, and the outcomes of those decisions.
   */
  static final String POLICIES = "WITH d AS (SELECT d.decision_id, coalesce(d.user_id, d.input_params ->> 'user_id') AS user_id,"
      + " CASE WHEN d.outcome = 'holdout' THEN 'holdout' WHEN d.features_used ->> 'holdback' = 'true' THEN 'holdback'"
      + " ELSE coalesce(d.features_used ->> 'strategy', 'priority') END AS policy"
      + " FROM agent_decisions d WHERE d.created_at >= $1 AND d.created_at < $2"
      + " AND d.loop_id IS NOT NULL AND d.outcome IN ('selected', 'holdout')"
      + " AND (d.features_used ->> 'dry_run') IS DISTINCT FROM 'true')"
      + " SELECT policy, count(*) AS decisions, count(DISTINCT user_id) AS learners,"
      + " coalesce(sum(o.invite_sent), 0)::bigint AS invite_sent, coalesce(sum(o.joined), 0)::bigint AS joined,"
      + " coalesce(sum(o.fvm_reached), 0)::bigint AS fvm_reached"
      + " FROM d CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE outcome = 'invite_sent') AS invite_sent,"
      + " count(*) FILTER (WHERE outcome = 'joined') AS joined, count(*) FILTER (WHERE outcome = 'fvm_reached') AS fvm_reached"
      + " FROM loop_outcomes lo WHERE lo.decision_id = d.decision_id) o GROUP BY policy ORDER BY policy";

  /**
   * The strategy's own decisions of [$1, $2) with a logged propensity (holdbacks, holdouts and dry runs left out),
   * summed for the off-policy estimate of priority (OffPolicy): w = 1/propensity where the chosen loop is priority's
   * choice, else 0; r = the decision's joins.
   */
  static final String OFF_POLICY = "WITH d AS (SELECT CASE WHEN l.name = d.features_used ->> 'priority_choice'"
      + " THEN 1 / (d.features_used ->> 'propensity')::float8 ELSE 0 END AS w,"
      + " (SELECT count(*) FROM loop_outcomes o WHERE o.decision_id = d.decision_id AND o.outcome = 'joined')::float8 AS r"
      + " FROM agent_decisions d JOIN viral_loops l ON l.id = d.loop_id"
      + " WHERE d.created_at >= $1 AND d.created_at < $2 AND d.outcome = 'selected'"
      + " AND (d.features_used ->> 'propensity')::float8 > 0"
      + " AND (d.features_used ->> 'holdback') IS DISTINCT FROM 'true'"
      + " AND (d.features_used ->> 'dry_run') IS DISTINCT FROM 'true')"
      + " SELECT count(*) AS n, count(*) FILTER (WHERE w > 0) AS matched, coalesce(sum(w), 0) AS w,"
      + " coalesce(sum(w * r), 0) AS wr, coalesce(sum(w * w), 0) AS w2, coalesce(sum(w * w * r), 0) AS w2r,"
      + " coalesce(sum(w * w * r * r), 0) AS w2r2 FROM d";

  static final String REFRESH = "SELECT report_refresh($1)";
  static final String PENDING = "SELECT EXISTS (SELECT 1 FROM report_inbox)";

  /** Additive figures of one (loop, group, arm). */
  public record Figures(long loopId, String loop, String group, String arm, long decisions, long shown, long inviteSent,
      long joined, long fvmReached) {}

  /** Distinct learners of one (kind, loop, group); kind is s, h or e. */
  public record Learners(String kind, long loopId, String group, long learners) {}

  /** One policy's decisions, distinct learners and outcomes. */
  public record Policy(String policy, long decisions, long learners, long inviteSent, long joined, long fvmReached) {
    static Policy none(String policy) {
      return new Policy(policy, 0, 0, 0, 0, 0);
    }
  }

  /** Everything one report reads; {@code complete} is false when the inbox still held rows after the refresh. */
  public record Snapshot(List<Figures> figures, List<Learners> learners, boolean complete) {}

  private final Pool pool;
  private final int refreshBatch;

  public ReportStore(Pool pool, int refreshBatch) {
    this.pool = pool;
    this.refreshBatch = refreshBatch;
  }

  /** Folds one batch of the inbox into the rollups; the number of inbox rows it took. */
  public Future<Integer> refreshOnce() {
    return pool.withTransaction(conn -> conn.preparedQuery(REFRESH).execute(Tuple.of(refreshBatch))
        .map(rows -> rows.iterator().next().getInteger(0)));
  }

  /** Refreshes until the inbox is empty or a batch comes back short; the rows taken in all. */
  public Future<Long> refresh() {
    return refreshFrom(0);
  }

  private Future<Long> refreshFrom(long sofar) {
    return refreshOnce().compose(taken -> taken < refreshBatch ? Future.succeededFuture(sofar + taken)
        : refreshFrom(sofar + taken));
  }

  /** One batch of refresh, then both queries on one snapshot. */
  public Future<Snapshot> read(Instant from, Instant to, String level) {
    Tuple params = params(from, to, level);
    return refreshOnce().compose(taken -> pool.withTransaction(conn -> readIn(conn, params)));
  }

  /** The figures per policy of [from, to) and the off-policy sums, from the raw decisions, on one snapshot. */
  public Future<Policies> readPolicies(Instant from, Instant to) {
    Tuple range = Tuple.of(utc(from), utc(to));
    return pool.withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute()
        .compose(v -> conn.preparedQuery(POLICIES).execute(range))
        .compose(policyRows -> conn.preparedQuery(OFF_POLICY).execute(range).map(sums -> {
          List<Policy> list = new ArrayList<>();
          for (Row r : policyRows) {
            list.add(new Policy(r.getString("policy"), r.getLong("decisions"), r.getLong("learners"),
                r.getLong("invite_sent"), r.getLong("joined"), r.getLong("fvm_reached")));
          }
          Row s = sums.iterator().next();
          return new Policies(list, new OffPolicy.Sums(s.getLong("n"), s.getLong("matched"), s.getDouble("w"),
              s.getDouble("wr"), s.getDouble("w2"), s.getDouble("w2r"), s.getDouble("w2r2")));
        })));
  }

  /** What group_by strategy reads: each policy's figures, and the sums for the off-policy estimate of priority. */
  public record Policies(List<Policy> policies, OffPolicy.Sums offPolicy) {}

  private static Future<Snapshot> readIn(SqlConnection conn, Tuple params) {
    return conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute()
        .compose(v -> conn.preparedQuery(FIGURES).execute(withoutDay(params)))
        .compose(figureRows -> conn.preparedQuery(LEARNERS).execute(params).compose(learnerRows ->
            conn.query(PENDING).execute().map(pending -> new Snapshot(figures(figureRows), learners(learnerRows),
                !pending.iterator().next().getBoolean(0)))));
  }

  /**
   * $1 from, $2 to, $3 H1 (from rounded up to the hour), $4 H2 (to rounded down), $5 the level of selections and
   * exposures, $6 the level of holdouts (a held-out learner has no variant: the loop's holdout serves its variants).
   * $7 the day of H1 (UTC). A range within one hour has no whole hour: H1 = H2 = to, and the first edge is the whole
   * range.
   */
  static Tuple params(Instant from, Instant to, String level) {
    Instant h1 = from.truncatedTo(ChronoUnit.HOURS);
    if (h1.isBefore(from)) {
      h1 = h1.plus(1, ChronoUnit.HOURS);
    }
    Instant h2 = to.truncatedTo(ChronoUnit.HOURS);
    if (!h1.isBefore(h2)) {
      h1 = to;
      h2 = to;
    }
    return Tuple.of(utc(from), utc(to), utc(h1), utc(h2), level, VARIANT.equals(level) ? LOOP : level,
        utc(h1.truncatedTo(ChronoUnit.DAYS)));
  }

  /** FIGURES takes $1-$6: the learners' day parameter ($7) left out. */
  private static Tuple withoutDay(Tuple params) {
    Tuple six = Tuple.tuple();
    for (int i = 0; i < 6; i++) {
      six.addValue(params.getValue(i));
    }
    return six;
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  private static List<Figures> figures(Iterable<Row> rows) {
    List<Figures> list = new ArrayList<>();
    for (Row r : rows) {
      list.add(new Figures(r.getLong("loop_id"), r.getString("name"), r.getString("grp"), r.getString("arm"),
          r.getLong("decisions"), r.getLong("shown"), r.getLong("invite_sent"), r.getLong("joined"),
          r.getLong("fvm_reached")));
    }
    return list;
  }

  private static List<Learners> learners(Iterable<Row> rows) {
    List<Learners> list = new ArrayList<>();
    for (Row r : rows) {
      list.add(new Learners(r.getString("kind"), r.getLong("loop_id"), r.getString("grp"), r.getLong("learners")));
    }
    return list;
  }
}
