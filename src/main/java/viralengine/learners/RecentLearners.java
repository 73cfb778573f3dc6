package viralengine.learners;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What decisions read about recently seen learners, so that a learner's next decision needs no database read.
 * Bounded (least recently used goes first) and short-lived. Used on the orchestrator's event loop only.
 *
 * <p>PostgreSQL stays the source of truth. Everything that changes a learner's state there advances
 * {@code learners.selection_seq}: a selection that counts, a profile write, a dismissal. A selection decided on an
 * entry that another process made stale therefore fails its guard, and the orchestrator forgets the entry and
 * decides again from a fresh read. A decision that selects nothing has no guard: on an entry another process made
 * stale, it can miss a loop for at most {@code ttl}. This process forgets a learner at once when it writes the
 * profile or a dismissal itself, or hears that another node did.
 */
public final class RecentLearners {
  /** Times as epoch milliseconds: two Instants would add to an entry's size. */
  private record Entry(PackedState state, long sinceMs, long loadedAtMs) {}

  private final int capacity;
  private final long ttlMs;
  private final Map<String, Entry> entries;
  /** Advanced by every forget: a read that began before one must not be kept, it may predate the change. */
  private long generation;

  public RecentLearners(int capacity, Duration ttl) {
    this.capacity = capacity;
    this.ttlMs = ttl.toMillis();
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > RecentLearners.this.capacity;
      }
    };
  }

  /** The kept state, when it holds every selection since {@code since} and is younger than the ttl; else null. */
  public LearnerStore.State get(String userId, Instant since, Instant now) {
    Entry entry = entries.get(userId);
    if (entry == null) {
      return null;
    }
    if (entry.sinceMs() > since.toEpochMilli() || entry.loadedAtMs() + ttlMs <= now.toEpochMilli()) {
      entries.remove(userId);
      return null;
    }
    return entry.state().unpack();
  }

  /** Taken before a read; {@link #put} keeps the read only if nothing was forgotten since. */
  public long generation() {
    return generation;
  }

  /** Keeps a state read from PostgreSQL with the selections since {@code since}. */
  public void put(String userId, LearnerStore.State state, Instant since, Instant now, long readAt) {
    if (capacity > 0 && readAt == generation) {
      entries.put(userId, new Entry(PackedState.pack(state), since.toEpochMilli(), now.toEpochMilli()));
    }
  }

  /**
   * A selection that counts is durable: the kept state gains it, with the guard sequence it advanced and the variant
   * it assigned. The entry's age is kept: the ttl bounds how long it goes unchecked against the database.
   */
  public void selected(String userId, long guardSeq, long loopId, Instant at, String variant) {
    Entry entry = entries.get(userId);
    if (entry == null) {
      return;
    }
    if (entry.state().seq() != guardSeq) {
      entries.remove(userId);
      return;
    }
    entries.put(userId, new Entry(entry.state().selected(loopId, at, variant), entry.sinceMs(), entry.loadedAtMs()));
  }

  public void forget(String userId) {
    generation++;
    entries.remove(userId);
  }

  public void clear() {
    generation++;
    entries.clear();
  }

  public int size() {
    return entries.size();
  }
}
