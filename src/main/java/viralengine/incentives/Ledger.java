package viralengine.incentives;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.Ids;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * The reward ledger in PostgreSQL. The cap invariant: a grant that may pass is ONE transaction that locks the learner's
 * counter row for that type and calendar day (the day in the learner's own time zone, from their profile, UTC without
 * one), checks the cap against it, adds to it and inserts the grant. Every grant of one learner, type and day, from any
 * process, queues on that row lock, so none can pass the cap. The unique request_id is the guard against a doubled
 * grant: a second insert under it rolls its whole transaction back and answers the first grant.
 *
 * <p>Before any lock, reads answer what needs none: a request_id already granted, or a cap already reached. The latter
 * is final (a day's counter only rises, and a grant in flight that is not visible has not reached it either), so a burst
 * against a full cap does not queue on the row. Every cap_reached answer looks for the request_id's grant once more:
 * the cap may be full of that very grant, committed by a concurrent retry after the first look.
 */
public final class Ledger {
  /** The learner's calendar day at $3, in their zone; PostgreSQL's zone database, the same for every process. */
  private static final String DAY = "($3::timestamptz AT TIME ZONE coalesce((SELECT timezone FROM learners"
      + " WHERE user_id = $1), 'UTC'))::date";
  private static final String PRECHECK = "SELECT t.amount, t.daily_cap, t.expires_days, " + DAY + " AS day,"
      + " coalesce((SELECT d.granted FROM reward_daily d WHERE d.user_id = $1 AND d.reward_type = t.type AND d.day = "
      + DAY + "), 0) AS granted FROM reward_types t WHERE t.type = $2";
  private static final String OFFER = "SELECT t.amount, t.daily_cap, t.expires_days, coalesce((SELECT d.granted"
      + " FROM reward_daily d WHERE d.user_id = $1 AND d.reward_type = t.type AND d.day = " + DAY + "), 0) AS granted"
      + " FROM reward_types t WHERE t.type = $2";
  /** Creates the day's counter if needed and locks it, in one statement; answers its value. */
  private static final String LOCK_DAY = "INSERT INTO reward_daily (user_id, reward_type, day) VALUES ($1, $2, $3)"
      + " ON CONFLICT (user_id, reward_type, day) DO UPDATE SET granted = reward_daily.granted RETURNING granted";
  private static final String ADD_TO_DAY = "UPDATE reward_daily SET granted = granted + $4 WHERE user_id = $1"
      + " AND reward_type = $2 AND day = $3";
  private static final String BY_REQUEST = "SELECT grant_id, user_id, reward_type, input_params FROM reward_grants"
      + " WHERE request_id = $1";
  private static final String INSERT_GRANT = "INSERT INTO reward_grants (grant_id, request_id, user_id, reward_type,"
      + " amount, source, day, granted_at, expires_at, decision_id, input_params)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (request_id) DO NOTHING RETURNING grant_id";
  private static final String UNREVOKED = "(g.expires_at IS NULL OR g.expires_at > $2)"
      + " AND NOT EXISTS (SELECT 1 FROM reward_revocations r WHERE r.grant_id = g.grant_id)";
  private static final String TYPE_BALANCE = "SELECT coalesce(sum(g.amount), 0) AS amount FROM reward_grants g"
      + " WHERE g.user_id = $1 AND " + UNREVOKED + " AND g.reward_type = $3";
  private static final String BALANCE = "SELECT g.reward_type, sum(g.amount) AS amount, min(g.expires_at) AS next_expiry"
      + " FROM reward_grants g WHERE g.user_id = $1 AND " + UNREVOKED + " GROUP BY g.reward_type ORDER BY g.reward_type";
  private static final String REVOKE = "INSERT INTO reward_revocations (grant_id, reason, revoked_at)"
      + " SELECT grant_id, $2, $3 FROM reward_grants WHERE grant_id = $1 ON CONFLICT DO NOTHING RETURNING revoked_at";
  private static final String REVOKED = "SELECT r.revoked_at FROM reward_grants g LEFT JOIN reward_revocations r"
      + " ON r.grant_id = g.grant_id WHERE g.grant_id = $1";
  /** Every grant made through a decision (a join through its loop); report_abuse revokes them in its transaction. */
  public static final String REVOKE_DECISION = "INSERT INTO reward_revocations (grant_id, reason, revoked_at)"
      + " SELECT grant_id, $2, $3 FROM reward_grants WHERE decision_id = $1 ON CONFLICT DO NOTHING RETURNING grant_id";
  private static final String TYPES = "SELECT type, amount, daily_cap, expires_days FROM reward_types ORDER BY type";

  /** A grant to make: validated params, plus the decision it came through (null for a direct grant). */
  public record Grant(String userId, String type, Integer amount, JsonObject source, String requestId, UUID decisionId,
      JsonObject params) {}

  /** A reward type as it stands for one learner on their calendar day: {@code granted} so far. */
  private record RewardType(int amount, int dailyCap, Integer expiresDays, LocalDate day, int granted) {
    int amountOf(Grant grant) {
      return grant.amount() == null ? amount : grant.amount();
    }

    boolean full(Grant grant) {
      return granted + amountOf(grant) > dailyCap;
    }

    RewardType withGranted(int now) {
      return new RewardType(amount, dailyCap, expiresDays, day, now);
    }
  }

  private static final JsonObject CAP_REACHED = new JsonObject().put("granted", false).put("reason", IncentivesApi.CAP_REACHED);

  /** Thrown inside the grant's transaction to roll it back: the request_id was granted meanwhile, on another day. */
  private static final class Duplicate extends RuntimeException {
    Duplicate() {
      super(null, null, false, false);
    }
  }

  private final Pool pool;

  public Ledger(Pool pool) {
    this.pool = pool;
  }

  /** What a join would grant now ({type, amount, expires_in_days}), or null when the cap leaves no room. Read-only. */
  public Future<JsonObject> offer(String userId, String type, Instant now) {
    return pool.preparedQuery(OFFER).execute(Tuple.of(userId, type, now.atOffset(ZoneOffset.UTC))).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      int amount = row.getInteger("amount");
      if (row.getInteger("granted") + amount > row.getInteger("daily_cap")) {
        return null;
      }
      return new JsonObject().put("type", type).put("amount", amount).put("expires_in_days", row.getInteger("expires_days"));
    });
  }

  /** {grant_id, granted: true, balance} or {granted: false, reason: cap_reached}; idempotent by request_id. */
  public Future<JsonObject> grant(Grant grant, Instant now) {
    // The reads before the lock go through the pool: a grant never holds one connection while it waits for another.
    return earlier(pool, grant).compose(found -> found != null
            ? Future.succeededFuture(found) : precheck(pool, grant, now).compose(type -> type.full(grant)
                ? Future.succeededFuture(CAP_REACHED) : pool.withTransaction(tx -> lockedGrant(tx, grant, type, now))))
        .recover(err -> err instanceof Duplicate ? earlier(pool, grant) : Future.failedFuture(err))
        // A cap found full may be full of this very request_id's first grant, committed after the first look for it.
        .compose(answer -> answer.getBoolean("granted") ? Future.succeededFuture(answer)
            : earlier(pool, grant).map(found -> found != null ? found : answer))
        .compose(answer -> answer.getBoolean("granted") ? withBalance(answer, grant.userId(), grant.type(), now)
            : Future.succeededFuture(answer.copy()));
  }

  private static Future<JsonObject> lockedGrant(SqlConnection tx, Grant grant, RewardType type, Instant now) {
    return tx.preparedQuery(LOCK_DAY).execute(Tuple.of(grant.userId(), grant.type(), type.day())).compose(rows -> {
      RewardType locked = type.withGranted(rows.iterator().next().getInteger("granted"));
      return locked.full(grant) ? Future.succeededFuture(CAP_REACHED) : insert(tx, grant, locked, now);
    });
  }

  private static Future<RewardType> precheck(SqlClient conn, Grant grant, Instant now) {
    return conn.preparedQuery(PRECHECK).execute(Tuple.of(grant.userId(), grant.type(), now.atOffset(ZoneOffset.UTC)))
        .map(rows -> {
          if (rows.size() == 0) {
            throw unknownType("reward_type", grant.type());
          }
          Row row = rows.iterator().next();
          return new RewardType(row.getInteger("amount"), row.getInteger("daily_cap"), row.getInteger("expires_days"),
              row.getLocalDate("day"), row.getInteger("granted"));
        });
  }

  /** The first grant under this request_id, as it was answered; -32004 when it was made with other params. */
  private static Future<JsonObject> earlier(SqlClient conn, Grant grant) {
    return conn.preparedQuery(BY_REQUEST).execute(Tuple.of(grant.requestId())).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      if (!grant.params().equals(row.getValue("input_params"))) {
        throw new RpcException(ErrorCodes.IDEMPOTENCY_CONFLICT,
            "Idempotency conflict: request_id was already used with different params",
            new JsonObject().put("request_id", grant.requestId()));
      }
      return new JsonObject().put("grant_id", row.getUUID("grant_id").toString()).put("granted", true);
    });
  }

  private static Future<JsonObject> insert(SqlConnection conn, Grant grant, RewardType type, Instant now) {
    UUID id = Ids.next();
    int amount = type.amountOf(grant);
    OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
    OffsetDateTime expires = type.expiresDays() == null ? null : at.plus(type.expiresDays(), ChronoUnit.DAYS);
    Tuple values = Tuple.of(id, grant.requestId(), grant.userId(), grant.type(), amount,
        grant.source() == null ? new JsonObject() : grant.source(), type.day(), at)
        .addOffsetDateTime(expires).addUUID(grant.decisionId()).addValue(grant.params());
    return conn.preparedQuery(ADD_TO_DAY).execute(Tuple.of(grant.userId(), grant.type(), type.day(), amount))
        .compose(added -> conn.preparedQuery(INSERT_GRANT).execute(values))
        .map(rows -> {
          if (rows.size() == 0) {
            throw new Duplicate();
          }
          return new JsonObject().put("grant_id", id.toString()).put("granted", true);
        });
  }

  private Future<JsonObject> withBalance(JsonObject answer, String userId, String type, Instant now) {
    return pool.preparedQuery(TYPE_BALANCE).execute(Tuple.of(userId, now.atOffset(ZoneOffset.UTC), type))
        .map(rows -> answer.put("balance", rows.iterator().next().getLong("amount")));
  }

  /** Unexpired, unrevoked totals per type, with each type's next expiry. */
  public Future<JsonObject> balance(String userId, Instant now) {
    return pool.preparedQuery(BALANCE).execute(Tuple.of(userId, now.atOffset(ZoneOffset.UTC))).map(rows -> {
      JsonArray balances = new JsonArray();
      for (Row row : rows) {
        OffsetDateTime next = row.getOffsetDateTime("next_expiry");
        balances.add(new JsonObject().put("type", row.getString("reward_type")).put("amount", row.getLong("amount"))
            .put("next_expires_at", next == null ? null : next.toInstant().toString()));
      }
      return new JsonObject().put("user_id", userId).put("balances", balances);
    });
  }

  /** A revocation is a row of its own; revoking twice answers the first revocation's time. */
  public Future<JsonObject> revoke(UUID grantId, String reason, Instant now) {
    return pool.preparedQuery(REVOKE).execute(Tuple.of(grantId, reason, now.atOffset(ZoneOffset.UTC))).compose(rows -> {
      if (rows.size() > 0) {
        return Future.succeededFuture(revoked(grantId, rows.iterator().next().getOffsetDateTime("revoked_at"), false));
      }
      return pool.preparedQuery(REVOKED).execute(Tuple.of(grantId)).map(found -> {
        if (found.size() == 0) {
          throw new RpcException(ErrorCodes.NOT_FOUND, "Grant not found: " + grantId,
              new JsonObject().put("grant_id", grantId.toString()));
        }
        return revoked(grantId, found.iterator().next().getOffsetDateTime("revoked_at"), true);
      });
    });
  }

  private static JsonObject revoked(UUID grantId, OffsetDateTime at, boolean already) {
    return new JsonObject().put("grant_id", grantId.toString()).put("revoked", true)
        .put("revoked_at", at.toInstant().toString()).put("already_revoked", already);
  }

  public Future<JsonObject> types() {
    return pool.preparedQuery(TYPES).execute().map(rows -> {
      JsonArray types = new JsonArray();
      for (Row row : rows) {
        types.add(new JsonObject().put("type", row.getString("type")).put("amount", row.getInteger("amount"))
            .put("daily_cap", row.getInteger("daily_cap")).put("expires_in_days", row.getInteger("expires_days")));
      }
      return new JsonObject().put("reward_types", types);
    });
  }

  static RpcException unknownType(String field, String type) {
    return RpcException.invalidParams(field, "is not a reward type (see list_reward_types)");
  }
}
