package viralengine.lifecycle;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The tombstone that replaces an erased learner's user_id: {@code erased:} and the HMAC-SHA256 of the user_id under
 * the deployment's secret, in hex. The same learner always gets the same tombstone (so distinct-learner counts and
 * referral chains keep their shape, and a replayed spool row can be recognised), and it cannot be reversed, nor
 * matched against a list of guessed user_ids, without the secret.
 */
public final class Tombstones {
  public static final String PREFIX = "erased:";
  static final String ALGORITHM = "HmacSHA256";
  /** The name of the generated secret in {@code lifecycle_secrets}. */
  static final String SECRET_NAME = "erasure";
  private static final String STORE_SECRET = "INSERT INTO lifecycle_secrets (name, value) VALUES ($1, $2)"
      + " ON CONFLICT (name) DO NOTHING";
  private static final String READ_SECRET = "SELECT value FROM lifecycle_secrets WHERE name = $1";

  private final SecretKeySpec key;

  Tombstones(String secret) {
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
  }

  /**
   * The configured secret, or else the deployment's generated one: the first node to need it stores a random one,
   * every node reads the one that won.
   */
  static Future<Tombstones> load(Pool pool, String configured) {
    if (configured != null) {
      return Future.succeededFuture(new Tombstones(configured));
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    return pool.preparedQuery(STORE_SECRET).execute(Tuple.of(SECRET_NAME, HexFormat.of().formatHex(random)))
        .compose(v -> pool.preparedQuery(READ_SECRET).execute(Tuple.of(SECRET_NAME)))
        .map(rows -> new Tombstones(rows.iterator().next().getString("value")));
  }

  public String of(String userId) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return PREFIX + HexFormat.of().formatHex(mac.doFinal(userId.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
