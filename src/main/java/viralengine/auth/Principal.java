package viralengine.auth;

import io.vertx.ext.web.RoutingContext;

import java.util.EnumSet;
import java.util.Set;

/**
 * Who is calling: the name of the API token presented, and its scopes. {@link BearerAuth} puts it into
 * the {@link RoutingContext} under {@link #KEY}; read it with {@link #of(RoutingContext)}. With auth
 * disabled (no tokens configured) every caller is {@link #ANONYMOUS}, which has every scope.
 */
public record Principal(String name, Set<Scope> scopes) {
  public static final String KEY = "viralengine.principal";
  public static final Principal ANONYMOUS = new Principal("anonymous", EnumSet.allOf(Scope.class));

  public Principal {
    scopes = Set.copyOf(scopes);
  }

  public boolean has(Scope scope) {
    return scopes.contains(scope);
  }

  /** The caller of this request; {@link #ANONYMOUS} on a route without a token check. */
  public static Principal of(RoutingContext ctx) {
    Principal principal = ctx.get(KEY);
    return principal == null ? ANONYMOUS : principal;
  }
}
