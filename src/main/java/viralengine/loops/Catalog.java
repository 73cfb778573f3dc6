package viralengine.loops;

import viralengine.frequency.FrequencyRule;

import java.util.List;

/**
 * One consistent snapshot of what decisions use: every loop (active or not, highest priority first) and every
 * frequency rule. {@code configVersion} identifies the snapshot; it goes up with every audited change, and
 * each decision records the version it was made with.
 */
public record Catalog(List<Loop> loops, List<FrequencyRule> rules, long configVersion) {
  public static final Catalog EMPTY = new Catalog(List.of(), List.of(), 0);

  /** The loop of that name, active or not. */
  public java.util.Optional<Loop> loop(String name) {
    return loops.stream().filter(l -> l.name().equals(name)).findFirst();
  }
}
