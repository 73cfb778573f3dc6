package viralengine.learners;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** SQL for learner profiles and for what a decision reads about a learner: profile, guard and history in one round trip. */
public final class LearnerStore {
  private static final String COLUMNS = "timezone, birth_year, persona, parental_consent, growth_opt_out, attributes";

  /**
   * Fields given as null keep their stored value; a new learner starts from the defaults. The write advances
   * selection_seq (a new row starts at 1, past the 0 of a learner never seen), so that a selection decided on the
   * profile as it was before fails its guard and is decided again (RecentLearners).
   */
  private static final String UPSERT = "INSERT INTO learners (user_id, timezone, birth_year, persona, parental_consent,"
      + " growth_opt_out, attributes, selection_seq) VALUES ($1, coalesce($2, 'UTC'), $3, $4, coalesce($5, 'unknown'),"
      + " coalesce($6, false), coalesce($7, '{}'::jsonb), 1) ON CONFLICT (user_id) DO UPDATE SET"
      + " selection_seq = learners.selection_seq + 1,"
      + " timezone = coalesce($2, learners.timezone), birth_year = coalesce($3, learners.birth_year),"
      + " persona = coalesce($4, learners.persona), parental_consent = coalesce($5, learners.parental_consent),"
      + " growth_opt_out = coalesce($6, learners.growth_opt_out), attributes = coalesce($7, learners.attributes),"
      + " updated_at = now() RETURNING " + COLUMNS;

  private static final String GET = "SELECT " + COLUMNS + " FROM learners WHERE user_id = $1";

  /**
   * The profile (null columns when never seen), the guard's sequence, the selections since $2 (oldest first)
   * and the last dismissal of each loop.
   */
  private static final String STATE = "SELECT l.timezone, l.birth_year, l.persona, l.parental_consent, l.growth_opt_out,"
      + " l.attributes, coalesce(l.selection_seq, 0) AS seq, s.sel_loops, s.sel_at, d.dis_loops, d.dis_at, v.var_loops,"
      + " v.var_keys FROM (SELECT $1::text AS user_id) u LEFT JOIN learners l ON l.user_id = u.user_id"
      // One index scan per table, each giving both arrays of its pairs.
      + " CROSS JOIN LATERAL (SELECT array_agg(e.loop_id ORDER BY e.fired_at) AS sel_loops,"
      + " array_agg(e.fired_at ORDER BY e.fired_at) AS sel_at FROM loop_exposures e"
      + " WHERE e.user_id = $1 AND e.fired_at >= $2) s"
      + " CROSS JOIN LATERAL (SELECT array_agg(x.loop_id ORDER BY x.loop_id) AS dis_loops,"
      + " array_agg(x.at ORDER BY x.loop_id) AS dis_at FROM (SELECT o.loop_id, max(o.occurred_at) AS at FROM loop_outcomes o"
      + " WHERE o.user_id = $1 AND o.outcome = 'dismissed' AND o.loop_id IS NOT NULL GROUP BY o.loop_id) x) d"
      + " CROSS JOIN LATERAL (SELECT array_agg(w.loop_id ORDER BY w.loop_id) AS var_loops,"
      + " array_agg(w.variant ORDER BY w.loop_id) AS var_keys FROM learner_variants w WHERE w.user_id = $1) v";

  /** The learner's stored variant of each loop, by loop name, for get_learner. */
  private static final String VARIANTS = "SELECT l.name, v.variant FROM learner_variants v JOIN viral_loops l"
      + " ON l.id = v.loop_id WHERE v.user_id = $1 ORDER BY l.name";

  /**
   * What a decision knows about a learner, and the guard sequence its selection must advance.
   *
   * @param variants the variant key assigned to the learner, per loop id
   */
  public record State(Learner learner, History history, long selectionSeq, Map<Long, String> variants) {}

  /** A profile write: null fields keep their stored value. */
  public record Upsert(String userId, ZoneId timezone, Integer birthYear, String persona, String parentalConsent,
      Boolean growthOptOut, JsonObject attributes) {}

  private final Pool pool;

  public LearnerStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Learner> upsert(Upsert u) {
    return pool.preparedQuery(UPSERT).execute(Tuple.of(u.userId(), u.timezone() == null ? null : u.timezone().getId(),
            u.birthYear(), u.persona(), u.parentalConsent(), u.growthOptOut(), u.attributes()))
        .map(rows -> learner(u.userId(), rows.iterator().next()));
  }

  /** The stored profile, or the defaults for a learner never seen. */
  public Future<Learner> get(String userId) {
    return pool.preparedQuery(GET).execute(Tuple.of(userId))
        .map(rows -> rows.size() == 0 ? Learner.unknown(userId) : learner(userId, rows.iterator().next()));
  }

  /** Profile, guard and the selections made since {@code since} (all of them for a lifetime rule). */
  public Future<State> state(String userId, Instant since) {
    return pool.preparedQuery(STATE).execute(Tuple.of(userId, OffsetDateTime.ofInstant(since, ZoneOffset.UTC)))
        .map(rows -> {
          Row row = rows.iterator().next();
          Learner learner = row.getString("timezone") == null ? Learner.unknown(userId) : learner(userId, row);
          return new State(learner, history(row), row.getLong("seq"), variants(row));
        });
  }

  /** The learner's variant of each loop that assigned one, by loop name (sorted). */
  public Future<Map<String, String>> variantsByLoop(String userId) {
    return pool.preparedQuery(VARIANTS).execute(Tuple.of(userId)).map(rows -> {
      Map<String, String> variants = new java.util.TreeMap<>();
      rows.forEach(row -> variants.put(row.getString(0), row.getString(1)));
      return variants;
    });
  }

  private static Map<Long, String> variants(Row row) {
    Long[] loops = orEmpty(row.getArrayOfLongs("var_loops"));
    String[] keys = row.getArrayOfStrings("var_keys");
    Map<Long, String> variants = new HashMap<>();
    for (int i = 0; i < loops.length; i++) {
      variants.put(loops[i], keys[i]);
    }
    return Map.copyOf(variants);
  }

  private static History history(Row row) {
    Long[] loops = orEmpty(row.getArrayOfLongs("sel_loops"));
    OffsetDateTime[] at = row.getArrayOfOffsetDateTimes("sel_at");
    List<History.Selection> selections = new ArrayList<>(loops.length);
    for (int i = 0; i < loops.length; i++) {
      selections.add(new History.Selection(loops[i], at[i].toInstant()));
    }
    Long[] dismissedLoops = orEmpty(row.getArrayOfLongs("dis_loops"));
    OffsetDateTime[] dismissedAt = row.getArrayOfOffsetDateTimes("dis_at");
    Map<Long, Instant> dismissed = new HashMap<>();
    for (int i = 0; i < dismissedLoops.length; i++) {
      dismissed.put(dismissedLoops[i], dismissedAt[i].toInstant());
    }
    return new History(List.copyOf(selections), Map.copyOf(dismissed));
  }

  /** array_agg over no rows is null, not an empty array (the paired array is then null too, and never read). */
  private static Long[] orEmpty(Long[] ids) {
    return ids == null ? new Long[0] : ids;
  }

  private static Learner learner(String userId, Row row) {
    return new Learner(userId, ZoneId.of(row.getString("timezone")), row.getInteger("birth_year"), row.getString("persona"),
        row.getString("parental_consent"), row.getBoolean("growth_opt_out"), (JsonObject) row.getValue("attributes"));
  }
}
