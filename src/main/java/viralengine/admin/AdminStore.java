package viralengine.admin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import viralengine.frequency.FrequencyRule;
import viralengine.loops.CatalogRepository;
import viralengine.loops.CatalogWatcher;
import viralengine.loops.Loop;
import viralengine.loops.LoopJson;
import viralengine.loops.RuleJson;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;

/**
 * The admin agent's reads and writes. Each write is ONE transaction: lock the row, change it, append the
 * audit row, and {@code pg_notify} the change id, so the change, its audit row and the notification commit
 * (or roll back) together. Optimistic concurrency: the UPDATE is conditional on the version the caller
 * expected ({@code WHERE version = $n}); the row lock taken first only makes the audit's "before" exact and
 * lets a stale writer wait and then find the new version, never overwrite it.
 */
public final class AdminStore {
  private static final String LOOP_COLUMNS = "name, display_name, description, active, triggers, priority, expected_k,"
      + " groups, audience, targeting, cooldown_seconds, dismiss_cooldown_seconds, action, variants, guardrails";
  private static final String LOCK_LOOP = "SELECT " + CatalogRepository.LOOP_JSON + " AS loop FROM viral_loops"
      + " WHERE name = $1 FOR UPDATE";
  private static final String GET_LOOP = "SELECT " + CatalogRepository.LOOP_JSON + " AS loop, "
      + CatalogRepository.CONFIG_VERSION + " AS config_version FROM viral_loops WHERE name = $1";
  private static final String INSERT_LOOP = "INSERT INTO viral_loops (" + LOOP_COLUMNS + ", version, incentive)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16)"
      + " ON CONFLICT (name) DO NOTHING RETURNING " + CatalogRepository.LOOP_JSON + " AS loop";
  private static final String UPDATE_LOOP = "UPDATE viral_loops SET display_name = $2, description = $3, active = $4,"
      + " triggers = $5, priority = $6, expected_k = $7, groups = $8, audience = $9, targeting = $10,"
      + " cooldown_seconds = $11, dismiss_cooldown_seconds = $12, action = $13, variants = $14, guardrails = $15,"
      + " incentive = $17, version = version + 1, updated_at = now() WHERE name = $1 AND version = $16 RETURNING "
      + CatalogRepository.LOOP_JSON + " AS loop";
  private static final String SET_ACTIVE = "UPDATE viral_loops SET active = $2, version = version + 1, updated_at = now()"
      + " WHERE name = $1 AND version = $3 RETURNING " + CatalogRepository.LOOP_JSON + " AS loop";
  private static final String LOCK_RULE = "SELECT " + CatalogRepository.RULE_JSON + " AS rule FROM frequency_rules"
      + " WHERE id = $1 FOR UPDATE";
  private static final String LOOP_EXISTS = "SELECT 1 FROM viral_loops WHERE name = $1";
  private static final String INSERT_RULE = "INSERT INTO frequency_rules (id, scope, scope_key, max_count, period)"
      + " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING " + CatalogRepository.RULE_JSON + " AS rule";
  private static final String UPDATE_RULE = "UPDATE frequency_rules SET scope = $2, scope_key = $3, max_count = $4,"
      + " period = $5, updated_at = now() WHERE id = $1 RETURNING " + CatalogRepository.RULE_JSON + " AS rule";
  private static final String DELETE_RULE = "DELETE FROM frequency_rules WHERE id = $1 RETURNING "
      + CatalogRepository.RULE_JSON + " AS rule";
  /** The audit row and the notification in one statement; NOTIFY is delivered when the transaction commits. */
  private static final String AUDIT = "WITH change AS (INSERT INTO config_changes (actor, entity, key, action, before, after,"
      + " evidence) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id)"
      + " SELECT id, pg_notify('" + CatalogWatcher.CHANNEL + "', id::text) FROM change";
  private static final String REWARD_TYPES = "SELECT type FROM reward_types ORDER BY type";
  private static final String CONFIG_VERSION = "SELECT " + CatalogRepository.CONFIG_VERSION;
  private static final String CHANGES = "SELECT id, changed_at, actor, entity, key, action, before, after, evidence"
      + " FROM config_changes ORDER BY id DESC LIMIT $1";

  static final String LOOP = "loop";
  static final String RULE = "frequency_rule";

  private final Pool pool;
  private final CatalogRepository catalog;

  public AdminStore(Pool pool) {
    this.pool = pool;
    this.catalog = new CatalogRepository(pool);
  }

  Future<JsonObject> listLoops() {
    return catalog.load().map(c -> new JsonObject()
        .put("loops", new JsonArray(c.loops().stream().map(LoopJson::toJson).toList()))
        .put("config_version", c.configVersion()));
  }

  Future<JsonObject> listRules() {
    return catalog.load().map(c -> new JsonObject()
        .put("rules", new JsonArray(c.rules().stream().map(RuleJson::toJson).toList()))
        .put("config_version", c.configVersion()));
  }

  Future<JsonObject> getLoop(String name) {
    return pool.preparedQuery(GET_LOOP).execute(Tuple.of(name)).map(rows -> {
      if (rows.size() == 0) {
        throw loopNotFound(name);
      }
      Row row = rows.iterator().next();
      return new JsonObject().put("loop", LoopJson.toJson(LoopJson.fromStored((JsonObject) row.getValue("loop"))))
          .put("config_version", row.getLong("config_version"));
    });
  }

  Future<JsonObject> listChanges(int limit) {
    return pool.withConnection(conn -> conn.preparedQuery(CHANGES).execute(Tuple.of(limit))
        .compose(rows -> configVersion(conn).map(version -> {
          JsonArray changes = new JsonArray();
          for (Row row : rows) {
            changes.add(new JsonObject()
                .put("id", row.getLong("id"))
                .put("changed_at", row.getOffsetDateTime("changed_at").toInstant().toString())
                .put("actor", row.getString("actor"))
                .put("entity", row.getString("entity"))
                .put("key", row.getString("key"))
                .put("action", row.getString("action"))
                .put("before", row.getValue("before"))
                .put("after", row.getValue("after"))
                .put("evidence", row.getValue("evidence")));
          }
          return new JsonObject().put("changes", changes).put("config_version", version);
        })));
  }

  Future<JsonObject> upsertLoop(Loop loop, Long expected, String actor) {
    return pool.withTransaction(conn -> checkRewardTypes(conn, loop).compose(checked -> lockLoop(conn, loop.name()))
        .compose(before -> before == null
        ? createLoop(conn, loop, expected, actor)
        : updateLoop(conn, before, loop, expected, actor)));
  }

  /** A loop's incentive names reward types of the incentives agent's ledger (data, so checked against the table). */
  private static Future<Void> checkRewardTypes(SqlConnection conn, Loop loop) {
    if (loop.incentive().isNone()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(REWARD_TYPES).execute().map(rows -> {
      java.util.List<String> known = new java.util.ArrayList<>();
      rows.forEach(row -> known.add(row.getString("type")));
      for (String role : java.util.List.of("referrer", "joiner")) {
        String type = loop.incentive().forRole(role);
        if (type != null && !known.contains(type)) {
          throw RpcException.invalidParams("loop.incentive." + role, "is not a reward type (known: " + known + ")");
        }
      }
      return null;
    });
  }

  private Future<JsonObject> createLoop(SqlConnection conn, Loop loop, Long expected, String actor) {
    if (expected != null && expected != 0) {
      throw new RpcException(ErrorCodes.NOT_FOUND, "Not found: no loop named " + loop.name()
          + " (send expected_version 0, or none, to create it)", new JsonObject().put("name", loop.name()));
    }
    return conn.preparedQuery(INSERT_LOOP).execute(loopValues(loop).addValue(incentiveValue(loop))).compose(rows -> {
      if (rows.size() == 0) {
        throw conflict("loop " + loop.name() + " was created by someone else meanwhile", expected, null);
      }
      JsonObject after = storedLoop(rows);
      return audit(conn, actor, LOOP, loop.name(), "create", null, after)
          .map(version -> new JsonObject().put("loop", after).put("created", true).put("changed", true).put("config_version", version));
    });
  }

  private Future<JsonObject> updateLoop(SqlConnection conn, Loop before, Loop loop, Long expected, String actor) {
    checkVersion("loop " + loop.name(), before.version(), expected);
    JsonObject beforeJson = LoopJson.toJson(before);
    JsonObject unchanged = LoopJson.toJson(loop).put("version", before.version());
    if (unchanged.equals(beforeJson)) {
      return unchangedAnswer(conn, "loop", beforeJson);
    }
    Tuple values = loopValues(loop).addLong(before.version()).addValue(incentiveValue(loop));
    return conn.preparedQuery(UPDATE_LOOP).execute(values).compose(rows -> {
      if (rows.size() == 0) {
        throw conflict("loop " + loop.name() + " changed meanwhile", expected, null);
      }
      JsonObject after = storedLoop(rows);
      return audit(conn, actor, LOOP, loop.name(), "update", beforeJson, after)
          .map(version -> new JsonObject().put("loop", after).put("created", false).put("changed", true).put("config_version", version));
    });
  }

  Future<JsonObject> setLoopActive(String name, boolean active, Long expected, String actor) {
    return setLoopActive(name, active, expected, actor, null);
  }

  /**
   * As the admin agent's set_loop_active, with {@code evidence} for the audit row: why an automatic actor (the
   * guardrail job) made the change.
   */
  public Future<JsonObject> setLoopActive(String name, boolean active, Long expected, String actor, JsonObject evidence) {
    return pool.withTransaction(conn -> lockLoop(conn, name).compose(before -> {
      if (before == null) {
        throw loopNotFound(name);
      }
      checkVersion("loop " + name, before.version(), expected);
      JsonObject beforeJson = LoopJson.toJson(before);
      if (before.active() == active) {
        return unchangedAnswer(conn, "loop", beforeJson);
      }
      return conn.preparedQuery(SET_ACTIVE).execute(Tuple.of(name, active, before.version())).compose(rows -> {
        if (rows.size() == 0) {
          throw conflict("loop " + name + " changed meanwhile", expected, null);
        }
        JsonObject after = storedLoop(rows);
        return audit(conn, actor, LOOP, name, active ? "activate" : "deactivate", beforeJson, after, evidence)
            .map(version -> new JsonObject().put("loop", after).put("changed", true).put("config_version", version));
      });
    }));
  }

  Future<JsonObject> upsertRule(FrequencyRule rule, String actor) {
    return pool.withTransaction(conn -> requireLoopOf(conn, rule)
        .compose(v -> conn.preparedQuery(LOCK_RULE).execute(Tuple.of(rule.id())))
        .compose(rows -> {
          JsonObject after = RuleJson.toJson(rule);
          if (rows.size() == 0) {
            return conn.preparedQuery(INSERT_RULE).execute(ruleValues(rule)).compose(inserted -> {
              if (inserted.size() == 0) {
                throw conflict("frequency rule " + rule.id() + " was created by someone else meanwhile", null, null);
              }
              return writeRuleAnswer(conn, actor, rule.id(), "create", null, inserted, true);
            });
          }
          JsonObject before = RuleJson.toJson(RuleJson.parse(rows.iterator().next().getValue("rule"), "rule"));
          if (before.equals(after)) {
            return unchangedAnswer(conn, "rule", before);
          }
          return conn.preparedQuery(UPDATE_RULE).execute(ruleValues(rule))
              .compose(updated -> writeRuleAnswer(conn, actor, rule.id(), "update", before, updated, false));
        }));
  }

  Future<JsonObject> deleteRule(String id, String actor) {
    return pool.withTransaction(conn -> conn.preparedQuery(DELETE_RULE).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) {
        throw new RpcException(ErrorCodes.NOT_FOUND, "Not found: no frequency rule with id " + id,
            new JsonObject().put("id", id));
      }
      JsonObject before = RuleJson.toJson(RuleJson.parse(rows.iterator().next().getValue("rule"), "rule"));
      return audit(conn, actor, RULE, id, "delete", before, null)
          .map(version -> new JsonObject().put("deleted", before).put("config_version", version));
    }));
  }

  private Future<JsonObject> writeRuleAnswer(SqlConnection conn, String actor, String id, String action, JsonObject before,
      RowSet<Row> rows, boolean created) {
    JsonObject after = RuleJson.toJson(RuleJson.parse(rows.iterator().next().getValue("rule"), "rule"));
    return audit(conn, actor, RULE, id, action, before, after)
        .map(version -> new JsonObject().put("rule", after).put("created", created).put("changed", true).put("config_version", version));
  }

  /** A loop-scoped rule must name a loop that exists: a typo would otherwise limit nothing, silently. */
  private static Future<Void> requireLoopOf(SqlConnection conn, FrequencyRule rule) {
    if (rule.scope() != FrequencyRule.Scope.LOOP) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(LOOP_EXISTS).execute(Tuple.of(rule.scopeKey())).map(rows -> {
      if (rows.size() == 0) {
        throw RpcException.invalidParams("rule.scope_key", "names no loop (there is no loop " + rule.scopeKey() + ")");
      }
      return null;
    });
  }

  private static Future<Loop> lockLoop(SqlConnection conn, String name) {
    return conn.preparedQuery(LOCK_LOOP).execute(Tuple.of(name))
        .map(rows -> rows.size() == 0 ? null : LoopJson.fromStored((JsonObject) rows.iterator().next().getValue("loop")));
  }

  private static Future<JsonObject> unchangedAnswer(SqlConnection conn, String field, JsonObject current) {
    return configVersion(conn).map(version -> new JsonObject().put(field, current).put("created", false)
        .put("changed", false).put("config_version", version));
  }

  private static Future<Long> configVersion(SqlConnection conn) {
    return conn.preparedQuery(CONFIG_VERSION).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  /** Appends the audit row and notifies every instance; returns the change id, the new config version. */
  private static Future<Long> audit(SqlConnection conn, String actor, String entity, String key, String action,
      JsonObject before, JsonObject after) {
    return audit(conn, actor, entity, key, action, before, after, null);
  }

  private static Future<Long> audit(SqlConnection conn, String actor, String entity, String key, String action,
      JsonObject before, JsonObject after, JsonObject evidence) {
    return conn.preparedQuery(AUDIT).execute(Tuple.of(actor, entity, key, action, before, after).addValue(evidence))
        .map(rows -> rows.iterator().next().getLong("id"));
  }

  private static void checkVersion(String what, long current, Long expected) {
    if (expected != null && expected != current) {
      throw conflict(what + " is at version " + current + ", not " + expected, expected, current);
    }
  }

  private static RpcException conflict(String why, Long expected, Long current) {
    JsonObject data = new JsonObject();
    if (expected != null) {
      data.put("expected_version", expected);
    }
    if (current != null) {
      data.put("current_version", current);
    }
    return new RpcException(ErrorCodes.VERSION_CONFLICT, "Version conflict: " + why + "; read it again and retry", data);
  }

  private static RpcException loopNotFound(String name) {
    return new RpcException(ErrorCodes.NOT_FOUND, "Not found: no loop named " + name, new JsonObject().put("name", name));
  }

  private static JsonObject storedLoop(RowSet<Row> rows) {
    return LoopJson.toJson(LoopJson.fromStored((JsonObject) rows.iterator().next().getValue("loop")));
  }

  private static Tuple loopValues(Loop loop) {
    JsonObject json = LoopJson.toJson(loop);
    return Tuple.tuple()
        .addString(loop.name())
        .addString(loop.displayName())
        .addString(loop.description())
        .addBoolean(loop.active())
        .addArrayOfString(loop.triggers().toArray(String[]::new))
        .addInteger(loop.priority())
        .addDouble(loop.expectedK())
        .addArrayOfString(loop.groups().toArray(String[]::new))
        .addValue(json.getJsonObject("audience"))
        .addValue(json.getJsonObject("targeting"))
        .addInteger((int) loop.cooldownSeconds())
        .addInteger((int) loop.dismissCooldownSeconds())
        .addValue(json.getJsonObject("action"))
        .addValue(json.getJsonArray("variants"))
        .addValue(json.getJsonArray("guardrails"));
  }

  private static JsonObject incentiveValue(Loop loop) {
    return LoopJson.toJson(loop).getJsonObject("incentive");
  }

  /** {@code period} is a jsonb parameter: a name goes as a JSON string, a rolling window as an object. */
  private static Tuple ruleValues(FrequencyRule rule) {
    return Tuple.of(rule.id(), rule.scope().wireName(), rule.scopeKey(), rule.maxCount(), rule.period().toJson());
  }
}
