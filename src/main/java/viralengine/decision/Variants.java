package viralengine.decision;

import viralengine.loops.Loop;

import java.util.List;

/**
 * Which of a loop's variants a learner sees. The variant stored for them (the first one assigned) wins while the
 * loop still has it; otherwise their bucket for {@code variant:<loop>} picks by weight: the weights are laid end to
 * end over the {@link Buckets#SIZE} buckets and the learner's bucket falls in one of them.
 */
final class Variants {
  private Variants() {}

  /** The learner's variant of {@code loop}: null for a loop without variants. */
  static Loop.Variant pick(Loop loop, String salt, String userId, String stored) {
    List<Loop.Variant> variants = loop.variants();
    if (variants.isEmpty()) {
      return null;
    }
    for (Loop.Variant variant : variants) {
      if (variant.key().equals(stored)) {
        return variant;
      }
    }
    double total = variants.stream().mapToDouble(Loop.Variant::weight).sum();
    double point = (Buckets.of(salt, "variant:" + loop.name(), userId) + 0.5) / Buckets.SIZE * total;
    double end = 0;
    int last = variants.size() - 1;
    for (int i = 0; i < last; i++) {
      end += variants.get(i).weight();
      if (point < end) {
        return variants.get(i);
      }
    }
    return variants.get(last); // the rest of the range, whatever the rounding of the sum
  }
}
