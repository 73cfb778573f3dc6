package viralengine.learners;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A learner's state as {@link RecentLearners} keeps it, in about 460 bytes instead of the 1 KB of the
 * {@link LearnerStore.State} it is read back into (class histograms in bench/RESULTS.md, issue 13): selections and
 * dismissals as pairs of longs in one array each (loop id, epoch microseconds: PostgreSQL's precision) instead of a
 * list of records that each hold an Instant, the profile's attributes in an immutable map instead of a
 * LinkedHashMap, and its zone, persona and consent as instances shared by every learner kept. So the same heap keeps over twice as many learners, and more decisions need no read.
 */
record PackedState(Learner learner, long seq, long[] selections, long[] dismissals, Map<Long, String> variants) {
  /** Shared by the learners with no dismissal (most of them); never written to. */
  private static final long[] NONE = new long[0];
  /** Zones, personas and consents are a few values shared by many learners: each is kept once, not once per learner. */
  private static final Map<String, ZoneId> ZONES = new ConcurrentHashMap<>();

  static PackedState pack(LearnerStore.State state) {
    List<History.Selection> selected = state.history().selections();
    long[] selections = new long[selected.size() * 2];
    for (int i = 0; i < selected.size(); i++) {
      selections[2 * i] = selected.get(i).loopId();
      selections[2 * i + 1] = micros(selected.get(i).at());
    }
    Map<Long, Instant> dismissed = state.history().lastDismissed();
    long[] dismissals = dismissed.isEmpty() ? NONE : new long[dismissed.size() * 2];
    int i = 0;
    for (Map.Entry<Long, Instant> d : dismissed.entrySet()) {
      dismissals[i++] = d.getKey();
      dismissals[i++] = micros(d.getValue());
    }
    Learner l = state.learner();
    Learner compact = new Learner(l.userId(), ZONES.computeIfAbsent(l.timezone().getId(), id -> l.timezone()),
        l.birthYear(), shared(l.persona()), shared(l.parentalConsent()), l.growthOptOut(), compact(l.attributes()));
    return new PackedState(compact, state.selectionSeq(), selections, dismissals, state.variants());
  }

  LearnerStore.State unpack() {
    List<History.Selection> selected = new ArrayList<>(selections.length / 2);
    for (int i = 0; i < selections.length; i += 2) {
      selected.add(new History.Selection(selections[i], instant(selections[i + 1])));
    }
    Map<Long, Instant> dismissed = new HashMap<>();
    for (int i = 0; i < dismissals.length; i += 2) {
      dismissed.put(dismissals[i], instant(dismissals[i + 1]));
    }
    return new LearnerStore.State(learner, new History(List.copyOf(selected), Map.copyOf(dismissed)), seq, variants);
  }

  /** This state after a durable selection: one more selection, the guard one further, the variant if it is new. */
  PackedState selected(long loopId, Instant at, String variant) {
    long[] more = Arrays.copyOf(selections, selections.length + 2);
    more[selections.length] = loopId;
    more[selections.length + 1] = micros(at);
    Map<Long, String> assigned = variants;
    if (variant != null && !assigned.containsKey(loopId)) {
      Map<Long, String> added = new HashMap<>(assigned);
      added.put(loopId, variant);
      assigned = Map.copyOf(added);
    }
    return new PackedState(learner, seq + 1, more, dismissals, assigned);
  }

  /**
   * The attributes in an immutable map (a learner's attributes are only read). Kept as they are when they hold a
   * null, which an immutable map cannot.
   */
  private static JsonObject compact(JsonObject attributes) {
    Map<String, Object> map = attributes.getMap();
    return map.containsValue(null) ? attributes : new JsonObject(Map.copyOf(map));
  }

  private static String shared(String value) {
    return value == null ? null : value.intern();
  }

  static long micros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
  }

  static Instant instant(long micros) {
    return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }
}
