package viralengine.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import viralengine.loops.ViralLoop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reads {@code viral_loops}. */
public final class LoopRepository {
  private static final String ALL_LOOPS = "SELECT id, name, active, triggers, priority, cooldown_seconds,"
      + " eligibility, expected_k FROM viral_loops ORDER BY priority DESC, name";

  private final Pool pool;

  public LoopRepository(Pool pool) {
    this.pool = pool;
  }

  /** Every loop, active or not, highest priority first. */
  public Future<List<ViralLoop>> loadAll() {
    return pool.preparedQuery(ALL_LOOPS).execute().map(rows -> {
      List<ViralLoop> loops = new ArrayList<>(rows.size());
      for (Row row : rows) {
        loops.add(toLoop(row));
      }
      return List.copyOf(loops);
    });
  }

  private static ViralLoop toLoop(Row row) {
    String[] triggers = row.getArrayOfStrings("triggers");
    return new ViralLoop(
        row.getLong("id"),
        row.getString("name"),
        row.getBoolean("active"),
        triggers == null ? List.of() : List.copyOf(Arrays.asList(triggers)),
        row.getInteger("priority"),
        row.getInteger("cooldown_seconds"),
        (JsonObject) row.getValue("eligibility"),
        row.getDouble("expected_k"));
  }
}
