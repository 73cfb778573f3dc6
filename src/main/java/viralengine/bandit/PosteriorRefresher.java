package viralengine.bandit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.api.EventTypes;
import viralengine.decision.Posteriors;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Keeps the bandit's {@link Posteriors} current, off the hot path: every {@code refreshMs} one query reads the arms
 * of the active loops and swaps in a new immutable snapshot; decisions only read the latest snapshot (a volatile
 * field), never the database. Refreshes never overlap: a tick during one is skipped. A failed refresh keeps the
 * last snapshot. Only {@code selection.strategy: thompson} starts it.
 */
public final class PosteriorRefresher {
  private static final Logger LOG = LoggerFactory.getLogger(PosteriorRefresher.class);

  private final Vertx vertx;
  private final ArmStore store;
  private final Supplier<Catalog> catalog;
  private final long refreshMs;
  private final int window;
  /** Whether to load the recovering bandit's counts by recency bucket too. */
  private final boolean recency;
  private volatile Posteriors current = Posteriors.EMPTY;
  private long timer = -1;
  private Future<Posteriors> refreshing;

  public PosteriorRefresher(Vertx vertx, Pool pool, Supplier<Catalog> catalog, long refreshMs, int window,
      String reward, int rewardWindowHours, boolean recency) {
    this.recency = recency;
    this.vertx = vertx;
    this.store = new ArmStore(pool, reward, rewardWindowHours);
    this.catalog = catalog;
    this.refreshMs = refreshMs;
    this.window = window;
  }

  /** Loads the first snapshot, then refreshes every {@code refreshMs}. */
  public synchronized Future<Posteriors> start() {
    if (timer < 0) {
      timer = vertx.setPeriodic(refreshMs, id -> refresh());
    }
    return refresh();
  }

  /** The latest snapshot: {@link Posteriors#EMPTY} before the first load. */
  public Posteriors current() {
    return current;
  }

  /** Reads the arms now; a call during a refresh returns that refresh. */
  public synchronized Future<Posteriors> refresh() {
    if (refreshing != null) {
      return refreshing;
    }
    Future<Posteriors> load = store.load(arms(catalog.get()), window, recency);
    refreshing = load;
    return load.andThen(done -> {
      synchronized (this) {
        refreshing = null;
      }
      if (done.succeeded()) {
        current = done.result();
      } else {
        LOG.warn("Bandit posteriors not refreshed; keeping the last snapshot: {}", done.cause().getMessage());
      }
    });
  }

  public synchronized void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Every (active loop, event type it follows) and (active loop, no event type): the arms that can compete. */
  static List<Posteriors.Arm> arms(Catalog catalog) {
    List<Posteriors.Arm> arms = new ArrayList<>();
    for (Loop loop : catalog.loops()) {
      if (!loop.active()) {
        continue;
      }
      for (String eventType : loop.triggers().isEmpty() ? EventTypes.ALL : loop.triggers()) {
        arms.add(new Posteriors.Arm(loop.id(), eventType));
      }
      arms.add(new Posteriors.Arm(loop.id(), null));
    }
    return arms;
  }
}
