package viralengine.lifecycle;

import java.util.ArrayList;
import java.util.List;

/**
 * Every table that names a learner, and what an erasure does to it: one entry per (table, column naming the learner).
 * A table added later (reward grants, blocks, abuse reports) is one more line in {@link #ALL}.
 *
 * <p>Each entry becomes one statement with {@code $1} = the learner's user_id and {@code $2} = their tombstone. All
 * run in one transaction, in this order. An entry's {@code narrow} condition leads PostgreSQL to the rows through an
 * index when the column itself has none.
 */
final class ErasedTables {
  /** The learner's decisions, before or after their own rewrite: the order of the entries then does not matter. */
  static final String LEARNER_DECISIONS = "SELECT decision_id FROM agent_decisions WHERE user_id IN ($1, $2)";

  /**
   * report_chain (V6) keys links by (kind, level, loop, group, user, hour) and has no index that starts with user_id:
   * the learner's (kind, level, loop, group) keys come from their decisions, the way report_links() derives them.
   */
  private static final String CHAIN_KEYS = " (SELECT DISTINCT k.kind, lv.level, d.loop_id, CASE lv.level WHEN 'l' THEN ''"
      + " WHEN 'v' THEN coalesce(d.variant, '') ELSE coalesce(d.event_type, '') END AS grp FROM agent_decisions d"
      + " CROSS JOIN (VALUES ('s'::\"char\"), ('h'::\"char\"), ('e'::\"char\")) AS k (kind)"
      + " CROSS JOIN (VALUES ('l'::\"char\"), ('v'::\"char\"), ('t'::\"char\")) AS lv (level)"
      + " WHERE d.user_id IN ($1, $2) AND d.loop_id IS NOT NULL) keys"
      + " WHERE c.kind = keys.kind AND c.level = keys.level AND c.loop_id = keys.loop_id AND c.grp = keys.grp"
      + " AND c.user_id = $1";
  /** The tombstone takes the user_id's place in every link, so distinct-learner counts stay exactly as they were. */
  private static final String REPORT_CHAIN = "UPDATE report_chain c SET user_id = $2 FROM" + CHAIN_KEYS
      + " AND NOT EXISTS (SELECT 1 FROM report_chain t WHERE t.kind = c.kind AND t.level = c.level"
      + " AND t.loop_id = c.loop_id AND t.grp = c.grp AND t.user_id = $2 AND t.hour = c.hour)";
  /**
   * A link the tombstone already has for that hour: only when spooled rows of an erased learner were folded into the
   * rollups in the moment between their replay and its erasure. The counts stay as they are; the link goes.
   */
  private static final String REPORT_CHAIN_TWINS = "DELETE FROM report_chain c USING" + CHAIN_KEYS;

  /** One table's treatment; {@code tombstone}: whether the statement takes it as $2. */
  record Entry(String name, String sql, boolean tombstone) {}

  /** A join grant's request_id, {@code joined:<decision>:<role>:<joiner>}, with the erased joiner's id replaced. */
  private static final String REQUEST_ID = "CASE WHEN request_id LIKE 'joined:%' AND right(request_id, length($1) + 1)"
      + " = ':' || $1 THEN left(request_id, length(request_id) - length($1)) || $2 ELSE request_id END";
  private static final String JOINER_REQUEST_ID = "request_id = " + REQUEST_ID;

  /** {@code input_params} with {@code path} and its request_id naming the tombstone. */
  private static String grantParams(String path) {
    return "input_params = jsonb_set(jsonb_set(input_params, '" + path + "', to_jsonb($2::text)), '{request_id}',"
        + " to_jsonb(" + REQUEST_ID + "))";
  }

  static final List<Entry> ALL = List.of(
      new Entry("report_chain.user_id", REPORT_CHAIN, true),
      new Entry("report_chain.user_id (twins)", REPORT_CHAIN_TWINS, true),
      tombstone("loop_outcomes", "user_id", "decision_id IN (" + LEARNER_DECISIONS + ")",
          "referred_user_id = NULL", "context = '{}'", "input_params = input_params - 'referred_user_id' - 'context'"),
      // Outcomes of the learners this one joined through: the referral keeps its shape, under the tombstone.
      tombstone("loop_outcomes", "referred_user_id", null,
          "input_params = jsonb_set(input_params, '{referred_user_id}', to_jsonb($2::text))"),
      tombstone("viral_events", "user_id", null, "context = '{}'"),
      // input_params keeps the event type and, for the rows that read the learner from there, the tombstone.
      tombstone("agent_decisions", "user_id", null, "input_params = jsonb_strip_nulls(jsonb_build_object("
          + "'user_id', $2::text, 'event_type', input_params -> 'event_type'))"),
      tombstone("loop_exposures", "user_id", null),
      // The agents' rows (AGENTS.md): the ledger and the safety record keep their counts, under the tombstone. A
      // two-sided grant's request_id ends with the joiner's user_id, and its source names them.
      tombstone("reward_grants", "user_id", null, grantParams("{user_id}"), JOINER_REQUEST_ID),
      new Entry("reward_grants.source.referred_user_id", "UPDATE reward_grants SET"
          + " source = jsonb_set(source, '{referred_user_id}', to_jsonb($2::text)), "
          + grantParams("{source,referred_user_id}") + ", " + JOINER_REQUEST_ID
          + " WHERE source ->> 'referred_user_id' = $1", true),
      tombstone("reward_daily", "user_id", null),
      tombstone("learner_blocks", "user_id", null, "reason = 'erased'"),
      tombstone("abuse_reports", "user_id", null, "result = CASE WHEN result ? 'user_id' THEN jsonb_set(result, '{user_id}', to_jsonb($2::text)) ELSE result END"),
      tombstone("loop_blocks", "user_id", null),
      delete("learner_variants", "user_id"),
      delete("learners", "user_id"));

  private ErasedTables() {}

  /** The rows naming the learner in {@code column} name the tombstone instead, and lose {@code personal}. */
  static Entry tombstone(String table, String column, String narrow, String... personal) {
    List<String> sets = new ArrayList<>();
    sets.add(column + " = $2");
    sets.addAll(List.of(personal));
    return new Entry(table + "." + column, "UPDATE " + table + " SET " + String.join(", ", sets)
        + " WHERE " + column + " = $1" + (narrow == null ? "" : " AND " + narrow), true);
  }

  /** The rows are the learner's state, not the audit trail's: they go. */
  static Entry delete(String table, String column) {
    return new Entry(table + "." + column, "DELETE FROM " + table + " WHERE " + column + " = $1", false);
  }
}
