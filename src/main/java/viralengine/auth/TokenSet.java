package viralengine.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The accepted API tokens, kept only as SHA-256 hashes with the name and scopes of each. A presented
 * token is hashed and compared with every hash in constant time, so neither a match nor its position
 * leaks through timing.
 */
public final class TokenSet {
  /** The scopes of a token given without any (the old configuration forms). */
  public static final Set<Scope> DEFAULT_SCOPES = Set.copyOf(EnumSet.of(Scope.DECIDE, Scope.OBSERVE));

  private record Entry(byte[] hash, Principal principal) {}

  private final List<Entry> entries;

  private TokenSet(List<Entry> entries) {
    this.entries = entries;
  }

  public static TokenSet of(List<ApiToken> tokens) {
    return new TokenSet(tokens.stream()
        .map(t -> new Entry(HexFormat.of().parseHex(t.sha256()), t.principal()))
        .toList());
  }

  /** From lower-case hex SHA-256 hashes (64 characters each), with the default scopes. */
  public static TokenSet ofHashes(Set<String> hexHashes) {
    List<String> sorted = hexHashes.stream().sorted().toList();
    return of(java.util.stream.IntStream.range(0, sorted.size())
        .mapToObj(i -> new ApiToken("hash-" + (i + 1), DEFAULT_SCOPES, sorted.get(i), RateLimit.NONE))
        .toList());
  }

  public boolean enabled() {
    return !entries.isEmpty();
  }

  public boolean accepts(String token) {
    return match(token) != null;
  }

  /** The principal of the token presented, or null when it is not configured. */
  public Principal match(String token) {
    if (token == null || token.isEmpty()) {
      return null;
    }
    byte[] presented = sha256(token);
    Principal found = null;
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(entry.hash(), presented)) {
        found = entry.principal(); // no early exit: every hash is compared
      }
    }
    return found;
  }

  /** The hex SHA-256 of a token: what goes into {@code auth.token_sha256} and {@code auth.api_tokens}. */
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
