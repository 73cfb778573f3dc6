package viralengine.auth;

import java.util.Set;

/**
 * One configured API token: a name (safe to log and to tag metrics with), its scopes, the SHA-256 of
 * the token (the token itself is never kept) and its rate limit.
 */
public record ApiToken(String name, Set<Scope> scopes, String sha256, RateLimit rateLimit) {
  public ApiToken {
    scopes = Set.copyOf(scopes);
  }

  public Principal principal() {
    return new Principal(name, scopes);
  }
}
