package viralengine.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which node owns which learner: a consistent-hash ring over the ready nodes' ids, {@link #POINTS} points per
 * node. Every node builds the same ring from the same set of ids (the hash is fixed, not the JVM's), so they
 * agree on every owner without talking. A node joining takes about 1/N of the learners, all from the others;
 * a node leaving hands only its own learners on, spread over the rest.
 *
 * <p>Pure and immutable: a membership change builds a new ring.
 */
public final class OwnerRing {
  /** Points per node: enough that three nodes each own 33 % ± a few points of the learners. */
  static final int POINTS = 128;
  private static final OwnerRing EMPTY = new OwnerRing(List.of(), new TreeMap<>());

  private final List<String> nodes;
  private final NavigableMap<Long, String> points;

  private OwnerRing(List<String> nodes, NavigableMap<Long, String> points) {
    this.nodes = nodes;
    this.points = points;
  }

  public static OwnerRing of(java.util.Collection<String> nodeIds) {
    if (nodeIds.isEmpty()) {
      return EMPTY;
    }
    List<String> sorted = List.copyOf(new TreeSet<>(nodeIds));
    NavigableMap<Long, String> points = new TreeMap<>();
    for (String node : sorted) {
      for (int i = 0; i < POINTS; i++) {
        // A collision (2^-64 per pair) goes to the smaller id on every node alike: sorted order, first wins.
        points.putIfAbsent(hash(node + "#" + i), node);
      }
    }
    return new OwnerRing(sorted, points);
  }

  /** The owner of {@code key}: the first point at or after its hash, wrapping around; null when no node is ready. */
  public String owner(String key) {
    if (points.isEmpty()) {
      return null;
    }
    Map.Entry<Long, String> point = points.ceilingEntry(hash(key));
    return (point == null ? points.firstEntry() : point).getValue();
  }

  /** The node ids on the ring, sorted. */
  public List<String> nodes() {
    return nodes;
  }

  public boolean contains(String node) {
    return nodes.contains(node);
  }

  /** The fraction of the hash space {@code node} owns: what health reports as its share of the learners. */
  public double share(String node) {
    if (!contains(node)) {
      return 0;
    }
    if (nodes.size() == 1) {
      return 1;
    }
    double owned = 0;
    Long previous = points.lastKey();
    for (Map.Entry<Long, String> point : points.entrySet()) {
      // The arc (previous, point] belongs to this point's node; unsigned, so the wrap-around arc counts too.
      if (point.getValue().equals(node)) {
        owned += unsigned(point.getKey() - previous);
      }
      previous = point.getKey();
    }
    return owned / Math.pow(2, 64);
  }

  private static double unsigned(long value) {
    return value >= 0 ? value : value + Math.pow(2, 64);
  }

  /**
   * FNV-1a over the UTF-8 bytes, then SplitMix64's finaliser so that close ids ({@code node#1}, {@code node#2})
   * land far apart. Fixed by this code, so every JVM and every version of it computes the same ring.
   */
  static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
    h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }
}
