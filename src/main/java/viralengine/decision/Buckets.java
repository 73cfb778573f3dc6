package viralengine.decision;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Sticky assignment by salted hash: SHA-256 of {@code salt NUL unit NUL user_id}, its first four bytes read as an
 * unsigned number, modulo {@link #SIZE}. The same learner always lands in the same bucket for the same salt and
 * unit; a new salt reshuffles everyone. The unit ({@code holdout}, {@code holdback}, {@code variant:<loop>}) keeps the holdout, the
 * holdback and each loop's variants independent of one another.
 */
public final class Buckets {
  /** Buckets per unit: a share can be set in hundredths of a percent. */
  public static final int SIZE = 10_000;
  static final String HOLDOUT = "holdout";
  static final String HOLDBACK = "holdback";

  private Buckets() {}

  /** The learner's bucket, 0 to {@link #SIZE} - 1. */
  public static int of(String salt, String unit, String userId) {
    byte[] hash = sha256(salt + '\u0000' + unit + '\u0000' + userId);
    long value = ((hash[0] & 0xffL) << 24) | ((hash[1] & 0xffL) << 16) | ((hash[2] & 0xffL) << 8) | (hash[3] & 0xffL);
    return (int) (value % SIZE);
  }

  /** Whether the learner is in the holdout: the lowest {@code percent} of the holdout buckets. */
  public static boolean heldOut(String salt, int percent, String userId) {
    return inShare(salt, HOLDOUT, percent, userId);
  }

  /**
   * Whether the learner is in the strategy's holdback (decided by {@code priority}): the lowest {@code percent} of
   * the holdback buckets, a unit of its own, so holdback and holdout are independent of each other.
   */
  public static boolean heldBack(String salt, int percent, String userId) {
    return inShare(salt, HOLDBACK, percent, userId);
  }

  private static boolean inShare(String salt, String unit, int percent, String userId) {
    return of(salt, unit, userId) < percent * (SIZE / 100);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
