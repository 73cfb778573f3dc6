package viralengine.lifecycle;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;

import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * forget_learner: every row that names a learner names their tombstone instead and loses what is personal
 * ({@link ErasedTables}), their profile and kept state go, and every node forgets what it cached of them
 * ({@link #ERASED}). An erasure is recorded in {@code learner_erasures} first (pending, with the user_id, so that a
 * restart finishes it), then carried out in ONE transaction that also marks it completed and clears the user_id.
 * Idempotent by request_id: a second call answers the first one's result and changes nothing.
 *
 * <p>Rows still in the decision log's spool when the erasure runs reach PostgreSQL later: {@link #replayed} erases
 * them as they land. An advisory lock orders the two, so a replayed row is either seen by the erasure or sees it.
 * The user_id is never logged, nor the secret; the tombstone is.
 */
public final class Erasure {
  private static final Logger LOG = LoggerFactory.getLogger(Erasure.class);
  /** Published (cluster-wide in cluster mode) with the erased learner's user_id: every node drops what it kept. */
  public static final String ERASED = "lifecycle.internal.learner_erased";
  /** Erasures take it exclusively, the spool's replay check shared. */
  static final long ERASURE_LOCK = 7461028;
  /** report_refresh()'s lock (V6): no fold reads the learner's rows halfway through their rewrite. */
  static final long REPORT_LOCK = 7461001;

  private static final String RECORD = "INSERT INTO learner_erasures (request_id, tombstone, user_id, actor, reason)"
      + " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING";
  private static final String LOCK_REQUEST = "SELECT tombstone, user_id, actor, reason, requested_at, completed_at,"
      + " row_counts FROM learner_erasures WHERE request_id = $1 FOR UPDATE";
  private static final String COMPLETE = "UPDATE learner_erasures SET completed_at = now(), user_id = NULL,"
      + " row_counts = $2 WHERE request_id = $1 RETURNING completed_at";
  private static final String PENDING = "SELECT request_id FROM learner_erasures WHERE completed_at IS NULL"
      + " ORDER BY requested_at LIMIT 1000";
  private static final String ERASED_AMONG = "SELECT DISTINCT tombstone FROM learner_erasures"
      + " WHERE tombstone = ANY($1) AND completed_at IS NOT NULL";

  static final String ERASURES = "viral.learner.erasures";
  static final String ERASURE_TIME = "viral.learner.erasure";

  private final Vertx vertx;
  private final Pool pool;
  private final Pool replayPool;
  private final String configuredSecret;
  private final Counter requested;
  private final Counter replayedRows;
  private final Timer took;
  private Future<Tombstones> tombstones;

  /**
   * @param replayPool where the spool replay's check runs: the decision log's own connections, which replay already
   *     uses, so that the check never queues behind the reads of a loaded service (it did, and the spool then drained
   *     slower than the load filled it)
   */
  public Erasure(Vertx vertx, Pool pool, Pool replayPool, String configuredSecret, MeterRegistry registry) {
    this.vertx = vertx;
    this.pool = pool;
    this.replayPool = replayPool;
    this.configuredSecret = configuredSecret;
    this.requested = Counter.builder(ERASURES).tag("kind", "request")
        .description("Learners forgotten: by request, or again for spooled rows replayed after their erasure")
        .register(registry);
    this.replayedRows = Counter.builder(ERASURES).tag("kind", "spool_replay").register(registry);
    this.took = Timer.builder(ERASURE_TIME).description("How long forgetting a learner took (its one transaction)")
        .register(registry);
  }

  /**
   * Forgets the learner; answers {@code {request_id, tombstone, requested_at, completed_at, rows, replayed}} where rows
   * counts the rows changed per table and column, and replayed says the answer is an earlier call's.
   */
  public Future<JsonObject> forget(String userId, String requestId, String reason, String actor) {
    return tombstones().compose(t -> {
      String tombstone = t.of(userId);
      return pool.preparedQuery(RECORD).execute(Tuple.of(requestId, tombstone, userId, actor, reason))
          .compose(recorded -> complete(requestId, tombstone));
    });
  }

  /** Finishes the erasures a stop (a kill -9 included) left pending; completes with how many it finished. */
  public Future<Integer> resumePending() {
    return pool.preparedQuery(PENDING).execute().compose(rows -> {
      Future<Integer> done = Future.succeededFuture(0);
      for (Row row : rows) {
        String requestId = row.getString("request_id");
        done = done.compose(n -> complete(requestId, null).map(r -> n + 1));
      }
      return done;
    }).onSuccess(n -> {
      if (n > 0) {
        LOG.info("Finished {} erasures left pending by an earlier run", n);
      }
    });
  }

  /**
   * The spool replayed rows of these learners: those already erased are erased again, so the replayed rows name the
   * tombstone too. Completes once done.
   */
  public Future<Void> replayed(Collection<String> userIds) {
    if (userIds.isEmpty()) {
      return Future.succeededFuture();
    }
    return tombstones().compose(t -> {
      Map<String, String> byTombstone = new HashMap<>();
      userIds.forEach(u -> byTombstone.put(t.of(u), u));
      return replayPool.withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock_shared($1)")
          .execute(Tuple.of(ERASURE_LOCK))
          .compose(v -> conn.preparedQuery(ERASED_AMONG).execute(Tuple.of(byTombstone.keySet().toArray(String[]::new)))))
          .compose(rows -> {
            Future<Void> chain = Future.succeededFuture();
            for (Row row : rows) {
              String tombstone = row.getString("tombstone");
              String userId = byTombstone.get(tombstone);
              chain = chain.compose(v -> replayPool.withTransaction(conn -> erase(conn, userId, tombstone)).map(counts -> {
                replayedRows.increment();
                LOG.info("Erased replayed rows of an erased learner", kv("tombstone", tombstone), kv("rows", counts));
                vertx.eventBus().publish(ERASED, userId);
                return null;
              }));
            }
            return chain;
          });
    });
  }

  private synchronized Future<Tombstones> tombstones() {
    if (tombstones == null || tombstones.failed()) {
      tombstones = Tombstones.load(pool, configuredSecret);
    }
    return tombstones;
  }

  /**
   * The erasure's one transaction, under the request's row lock: a concurrent call with the same request_id waits and
   * then answers from the completed row. {@code tombstone} null: whatever the request recorded (a resumed one).
   */
  private Future<JsonObject> complete(String requestId, String tombstone) {
    String[] erasedUser = new String[1];
    long started = System.nanoTime();
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_REQUEST).execute(Tuple.of(requestId)).compose(rows -> {
      Row row = rows.iterator().next();
      if (tombstone != null && !tombstone.equals(row.getString("tombstone"))) {
        throw new RpcException(ErrorCodes.IDEMPOTENCY_CONFLICT, "Idempotency conflict: request_id was already used"
            + " to forget another learner", new JsonObject().put("request_id", requestId));
      }
      if (row.getValue("completed_at") != null) {
        return Future.succeededFuture(answer(requestId, row, (JsonObject) row.getValue("row_counts"),
            row.getOffsetDateTime("completed_at"), true));
      }
      String userId = row.getString("user_id");
      erasedUser[0] = userId;
      return erase(conn, userId, row.getString("tombstone"))
          .compose(counts -> conn.preparedQuery(COMPLETE).execute(Tuple.of(requestId, counts))
              .map(done -> answer(requestId, row, counts, done.iterator().next().getOffsetDateTime("completed_at"),
                  false)));
    })).onSuccess(result -> {
      if (erasedUser[0] != null) {
        requested.increment();
        took.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        LOG.info("Learner erased", kv("request_id", requestId), kv("tombstone", result.getString("tombstone")),
            kv("actor", result.getString("actor")), kv("rows", result.getJsonObject("rows")));
        vertx.eventBus().publish(ERASED, erasedUser[0]);
      }
    });
  }

  /**
   * Runs every {@link ErasedTables} entry in order on {@code conn}, under both locks; the rows each changed, by table
   * and column.
   */
  private static Future<JsonObject> erase(SqlConnection conn, String userId, String tombstone) {
    JsonObject counts = new JsonObject();
    Future<Void> chain = conn.preparedQuery("SELECT pg_advisory_xact_lock($1), pg_advisory_xact_lock($2)")
        .execute(Tuple.of(ERASURE_LOCK, REPORT_LOCK)).mapEmpty();
    for (ErasedTables.Entry entry : ErasedTables.ALL) {
      Tuple params = entry.tombstone() ? Tuple.of(userId, tombstone) : Tuple.of(userId);
      chain = chain.compose(v -> conn.preparedQuery(entry.sql()).execute(params)
          .map(rows -> {
            counts.put(entry.name(), counts.getLong(entry.name(), 0L) + rows.rowCount());
            return null;
          }));
    }
    return chain.map(counts);
  }

  private static JsonObject answer(String requestId, Row row, JsonObject counts, OffsetDateTime completedAt,
      boolean replayed) {
    return new JsonObject()
        .put("request_id", requestId)
        .put("tombstone", row.getString("tombstone"))
        .put("actor", row.getString("actor"))
        .put("reason", row.getString("reason"))
        .put("requested_at", row.getOffsetDateTime("requested_at").toInstant().toString())
        .put("completed_at", completedAt.toInstant().toString())
        .put("rows", counts)
        .put("replayed", replayed);
  }
}
