package viralengine.loops;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.frequency.FrequencyRule;
import viralengine.rpc.RpcException;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the whole {@link Catalog} in ONE statement, so loops, rules and the version come from one snapshot:
 * a change committed halfway through can never show up in one part and not in another.
 */
public final class CatalogRepository {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogRepository.class);

  /** A {@code viral_loops} row as the JSON {@link LoopJson#fromStored} reads (with id and version). */
  public static final String LOOP_JSON = "jsonb_build_object('id', id, 'name', name, 'display_name', display_name,"
      + " 'description', description, 'active', active, 'triggers', triggers, 'priority', priority,"
      + " 'expected_k', coalesce(expected_k, 0), 'groups', groups, 'audience', audience, 'targeting', targeting,"
      + " 'cooldown_seconds', cooldown_seconds, 'dismiss_cooldown_seconds', dismiss_cooldown_seconds,"
      + " 'action', action, 'variants', variants, 'incentive', incentive, 'guardrails', guardrails, 'version', version)";
  /** A {@code frequency_rules} row as the JSON {@link RuleJson#parse} reads. */
  public static final String RULE_JSON = "jsonb_build_object('id', id, 'scope', scope, 'scope_key', scope_key,"
      + " 'max_count', max_count, 'period', period)";
  public static final String CONFIG_VERSION = "(SELECT coalesce(max(id), 0) FROM config_changes)";

  private static final String LOAD = "SELECT"
      + " (SELECT coalesce(jsonb_agg(" + LOOP_JSON + " ORDER BY priority DESC, name), '[]'::jsonb) FROM viral_loops) AS loops,"
      + " (SELECT coalesce(jsonb_agg(" + RULE_JSON + " ORDER BY id), '[]'::jsonb) FROM frequency_rules) AS rules,"
      + " " + CONFIG_VERSION + " AS config_version";

  private final SqlClient client;

  public CatalogRepository(SqlClient client) {
    this.client = client;
  }

  /** Every loop (highest priority first, then by name), every rule (by id), and the config version. */
  public Future<Catalog> load() {
    return client.preparedQuery(LOAD).execute().map(rows -> toCatalog(rows.iterator().next()));
  }

  private static Catalog toCatalog(Row row) {
    List<Loop> loops = new ArrayList<>();
    for (Object stored : (JsonArray) row.getValue("loops")) {
      Loop loop = readOrSkip(() -> LoopJson.fromStored((JsonObject) stored), "loop", stored);
      if (loop != null) {
        loops.add(loop);
      }
    }
    List<FrequencyRule> rules = new ArrayList<>();
    for (Object stored : (JsonArray) row.getValue("rules")) {
      FrequencyRule rule = readOrSkip(() -> RuleJson.parse(stored, "rule"), "frequency rule", stored);
      if (rule != null) {
        rules.add(rule);
      }
    }
    return new Catalog(List.copyOf(loops), List.copyOf(rules), row.getLong("config_version"));
  }

  /**
   * Rows written through the admin agent are always valid. One edited by hand in SQL may not be; it is
   * left out (never selected, never limiting) and logged, rather than blocking every later change.
   */
  private static <T> T readOrSkip(java.util.function.Supplier<T> read, String what, Object stored) {
    try {
      return read.get();
    } catch (RpcException e) {
      LOG.error("Skipping an invalid {} row in the database ({}): {}", what, key(stored), e.getMessage());
      return null;
    }
  }

  private static Object key(Object stored) {
    return stored instanceof JsonObject json ? json.getValue(json.containsKey("name") ? "name" : "id") : "?";
  }
}
