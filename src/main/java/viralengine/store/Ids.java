package viralengine.store;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Random;
import java.util.UUID;

/**
 * Time-ordered ids (UUIDv7, RFC 9562) for decisions, events and outcomes. The millisecond prefix makes each new
 * id land at the right edge of PostgreSQL's unique indexes instead of on a random leaf page. The other 74 bits stay
 * unguessable (a decision id is what record_outcome acts on), but come from a per-thread DRBG, so a decision does
 * not wait on the shared SecureRandom that {@link UUID#randomUUID()} locks.
 */
public final class Ids {
  private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(Ids::drbg);

  private Ids() {}

  public static UUID next() {
    return next(System.currentTimeMillis(), RANDOM.get());
  }

  static UUID next(long epochMillis, Random random) {
    long randA = random.nextInt() & 0xFFFL;
    long randB = random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL;
    long msb = (epochMillis << 16) | 0x7000L | randA;
    long lsb = 0x8000_0000_0000_0000L | randB;
    return new UUID(msb, lsb);
  }

  /** The millisecond an id of {@link #next} was made in. */
  static long epochMillis(UUID id) {
    return id.getMostSignificantBits() >>> 16;
  }

  private static SecureRandom drbg() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }
}
