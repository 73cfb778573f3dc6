package viralengine.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;

/** Reads {@code loop_exposures}: what the cooldown and daily-cap checks need. */
public final class ExposureRepository {
  private static final String USER_HISTORY = "SELECT loop_id, max(fired_at) AS last_fired,"
      + " count(*) FILTER (WHERE fired_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS today"
      + " FROM loop_exposures WHERE user_id = $1 AND fired_at >= now() - make_interval(secs => $2)"
      + " GROUP BY loop_id";

  /** One user's recent exposures, by loop id. */
  public record History(Map<Long, OffsetDateTime> lastFired, int firedToday) {}

  private final Pool pool;

  public ExposureRepository(Pool pool) {
    this.pool = pool;
  }

  /** Exposures within {@code lookbackSeconds} (at least a day, so the daily count is complete). */
  public Future<History> history(String userId, long lookbackSeconds) {
    double seconds = Math.max(lookbackSeconds, 86_400);
    return pool.preparedQuery(USER_HISTORY).execute(Tuple.of(userId, seconds)).map(rows -> {
      Map<Long, OffsetDateTime> last = new HashMap<>();
      int today = 0;
      for (Row row : rows) {
        last.put(row.getLong("loop_id"), row.getOffsetDateTime("last_fired"));
        today += row.getLong("today").intValue();
      }
      return new History(Map.copyOf(last), today);
    });
  }
}
