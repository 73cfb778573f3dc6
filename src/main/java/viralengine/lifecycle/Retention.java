package viralengine.lifecycle;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Retention of the log tables' day partitions (V14): every {@link #INTERVAL}, creates the partitions of today and the
 * {@link #AHEAD_DAYS} days ahead, and drops the days wholly older than {@code retention.days} (0: none), with those
 * days' decisions' exposures and outcomes (tables read by learner, so not partitioned: see V14). A day whose
 * rows report_inbox still points at (not yet folded into loop_report's rollups) is kept until a later round; the check
 * runs under the day's partitions' locks, so no row of it can commit between the check and the drop.
 *
 * <p>One node at a time: each transaction starts with a try of a PostgreSQL advisory lock and does nothing without it.
 * Partition DDL locks the parent table, which holds up decision writes while it waits: {@link #LOCK_TIMEOUT} bounds
 * that, and a round that times out fails, counts as a failure, and is retried at the next.
 */
public final class Retention {
  private static final Logger LOG = LoggerFactory.getLogger(Retention.class);
  /** The advisory lock one node's round holds (per transaction). */
  static final long LOCK = 7461028;
  static final int AHEAD_DAYS = 7;
  static final Duration INTERVAL = Duration.ofHours(1);
  static final String LOCK_TIMEOUT = "500ms";
  public static final String PARTITIONS = "viral.partitions";
  public static final String OLDEST = "viral.partitions.oldest.start";
  public static final String ROWS_DROPPED = "viral.retention.rows.dropped";
  public static final String FAILURES = "viral.retention.failures";
  public static final String LAST_SUCCESS = "viral.retention.last.success.timestamp";
  /** The day-partitioned tables. */
  static final List<String> PARTITIONED = List.of("agent_decisions", "viral_events");
  /** The tables a dropped day takes rows from. */
  static final List<String> TABLES = List.of("agent_decisions", "viral_events", "loop_exposures", "loop_outcomes");

  private static final String CREATE = "SELECT count(*) FILTER (WHERE made) FROM (SELECT log_partition_create(t, $1::date + n)"
      + " AS made FROM log_tables() t, generate_series(0, $2) n) c";
  private static final String EXPIRED = "SELECT DISTINCT day FROM log_partitions() WHERE day < $1::date ORDER BY day";
  private static final String DROP = "SELECT parent, dropped FROM log_partition_drop($1::date)";
  private static final String COUNTS = "SELECT parent, count(*) AS n, min(day) AS oldest FROM log_partitions()"
      + " GROUP BY parent";

  /** What one round did: partitions created, days dropped, days held back for the report inbox, rows dropped per table. */
  public record Round(boolean ran, int created, List<LocalDate> dropped, List<LocalDate> held, Map<String, Long> rows) {}

  private final Vertx vertx;
  private final Pool pool;
  private final int days;
  private final Clock clock;
  private final Counter failures;
  private final Map<String, Counter> rowsDropped = new ConcurrentHashMap<>();
  private final Map<String, Long> partitions = new ConcurrentHashMap<>();
  private final Map<String, Double> oldest = new ConcurrentHashMap<>();
  private volatile double lastSuccess = Double.NaN;
  private long timer = -1;
  private Future<Round> running;

  public Retention(Vertx vertx, Pool pool, int days, Clock clock, MeterRegistry registry) {
    this.vertx = vertx;
    this.pool = pool;
    this.days = days;
    this.clock = clock;
    this.failures = Counter.builder(FAILURES).description("Rounds of the retention job that failed (partitions not"
        + " created or not dropped)").register(registry);
    Gauge.builder(LAST_SUCCESS, () -> lastSuccess).baseUnit("seconds").description("When the retention job last completed a round (epoch"
        + " seconds; NaN before the first)").register(registry);
    for (String table : TABLES) {
      rowsDropped.put(table, Counter.builder(ROWS_DROPPED).tag("table", table)
          .description("Rows of the table dropped with their day past retention.days").register(registry));
    }
    for (String table : PARTITIONED) {
      Gauge.builder(PARTITIONS, () -> partitions.getOrDefault(table, 0L)).tag("table", table)
          .description("Day partitions of the table (the default partition not counted)").register(registry);
      Gauge.builder(OLDEST, () -> oldest.getOrDefault(table, Double.NaN)).tag("table", table).baseUnit("seconds")
          .description("Start of the table's oldest kept day partition (epoch seconds)").register(registry);
    }
  }

  /**
   * A first round now, then one every {@link #INTERVAL}; a second call changes nothing. The first is queued at once
   * (not on a timer), so that any round asked for later runs after it, never beside it.
   */
  public void start() {
    if (timer < 0) {
      runOnce();
      timer = vertx.setPeriodic(INTERVAL.toMillis(), id -> runOnce());
    }
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  /**
   * One round, after the one in flight if any, for the day the clock reads now: a round asked for after the clock
   * moved (an operator's call, a test) must not be answered by one asked for before.
   */
  public synchronized Future<Round> runOnce() {
    Instant now = clock.instant();
    Future<Void> before = running == null ? Future.succeededFuture() : running.<Void>transform(done -> Future.succeededFuture());
    running = before
        .compose(v -> round(now))
        .compose(done -> measure().map(done))
        .onSuccess(done -> {
          if (done.ran()) {
            lastSuccess = clock.millis() / 1000.0;
          }
        })
        .onFailure(err -> {
          failures.increment();
          LOG.warn("Retention round failed (retried in {}): {}", INTERVAL, err.getMessage());
        });
    return running;
  }

  private Future<Round> round(Instant now) {
    LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    return locked(conn -> conn.preparedQuery(CREATE).execute(Tuple.of(today, AHEAD_DAYS))
        .map(rows -> rows.iterator().next().getLong(0).intValue()))
        .compose(created -> created == null ? Future.succeededFuture(new Round(false, 0, List.of(), List.of(), Map.of()))
            : expired(now).compose(expired -> drop(expired, created)));
  }

  /** The days whose partitions end at or before now minus retention.days; none when retention is off. */
  private Future<List<LocalDate>> expired(Instant now) {
    if (days == 0) {
      return Future.succeededFuture(List.of());
    }
    Instant cutoff = now.minus(Duration.ofDays(days));
    LocalDate firstKept = LocalDate.ofInstant(cutoff, ZoneOffset.UTC);
    return pool.preparedQuery(EXPIRED).execute(Tuple.of(firstKept)).map(rows -> {
      List<LocalDate> out = new ArrayList<>();
      rows.forEach(row -> out.add(row.getLocalDate(0)));
      return out;
    });
  }

  /** Day after day, each in a transaction of its own, so that a day held back or timed out leaves the others done. */
  private Future<Round> drop(List<LocalDate> expired, int created) {
    Round round = new Round(true, created, new ArrayList<>(), new ArrayList<>(), new TreeMap<>());
    Future<Void> chain = Future.succeededFuture();
    for (LocalDate day : expired) {
      chain = chain.compose(v -> locked(conn -> conn.preparedQuery(DROP).execute(Tuple.of(day)).map(rows -> {
        rows.forEach(row -> round.rows().merge(row.getString("parent"), row.getLong("dropped"), Long::sum));
        return rows.size() > 0;
      })).map(gone -> {
        if (gone == null) {
          return null; // another node holds the lock: it is doing this work
        }
        (gone ? round.dropped() : round.held()).add(day);
        return null;
      }));
    }
    return chain.map(v -> {
      round.rows().forEach((table, n) -> rowsDropped.get(table).increment(n));
      if (!round.dropped().isEmpty() || !round.held().isEmpty()) {
        LOG.info("Retention: dropped the partitions of {} ({} rows by table), kept {} for the report inbox",
            round.dropped(), round.rows(), round.held());
      }
      return round;
    });
  }

  /** {@code work} in a transaction that holds the advisory lock; null (and nothing done) when another node holds it. */
  private <T> Future<T> locked(java.util.function.Function<SqlConnection, Future<T>> work) {
    return pool.withTransaction(conn -> conn.query("SELECT pg_try_advisory_xact_lock(" + LOCK + ")").execute()
        .compose(rows -> !rows.iterator().next().getBoolean(0) ? Future.succeededFuture(null)
            : conn.query("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'").execute().compose(v -> work.apply(conn))));
  }

  /** The gauges: partitions per table, and the start of each table's oldest. */
  private Future<Void> measure() {
    return pool.query(COUNTS).execute().map(rows -> {
      partitions.clear();
      oldest.clear();
      for (Row row : rows) {
        partitions.put(row.getString("parent"), row.getLong("n"));
        oldest.put(row.getString("parent"),
            (double) row.getLocalDate("oldest").atStartOfDay(ZoneOffset.UTC).toEpochSecond());
      }
      return null;
    });
  }
}
