package viralengine.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The accepted API tokens, kept only as SHA-256 hashes. A presented token is hashed and compared with
 * every hash in constant time, so neither a match nor its position leaks through timing.
 */
public final class TokenSet {
  private final List<byte[]> hashes;

  private TokenSet(List<byte[]> hashes) {
    this.hashes = hashes;
  }

  /** From lower-case hex SHA-256 hashes (64 characters each). */
  public static TokenSet ofHashes(Set<String> hexHashes) {
    return new TokenSet(hexHashes.stream().map(h -> HexFormat.of().parseHex(h)).toList());
  }

  public boolean enabled() {
    return !hashes.isEmpty();
  }

  public boolean accepts(String token) {
    if (token == null || token.isEmpty()) {
      return false;
    }
    byte[] presented = sha256(token);
    boolean match = false;
    for (byte[] hash : hashes) {
      match |= MessageDigest.isEqual(hash, presented);
    }
    return match;
  }

  /** The hex SHA-256 of a token: what goes into {@code auth.token_sha256}. */
  public static String sha256Hex(String token) {
    return HexFormat.of().formatHex(sha256(token));
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
