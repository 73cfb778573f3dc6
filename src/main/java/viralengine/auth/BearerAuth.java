package viralengine.auth;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Function;

/**
 * Requires an API token: {@code Authorization: Bearer <token>}. Browser routes (the dashboard) also take
 * HTTP Basic with the token as the password, because a browser cannot add a bearer header to a page load
 * or an EventSource, but does prompt for Basic credentials and resend them. A missing or wrong token is
 * 401 with a JSON body and a {@code WWW-Authenticate} challenge: {@code Bearer} on API routes, {@code Basic}
 * alone on browser routes. A known token without the scope the route needs is 403 with JSON-RPC error -32007
 * naming the scope. The caller's {@link Principal} goes into the context. With no tokens configured,
 * everything passes as {@link Principal#ANONYMOUS}.
 */
public final class BearerAuth implements Handler<RoutingContext> {
  static final String REALM = "viral-engine";
  private static final int FORBIDDEN = viralengine.rpc.ErrorCodes.FORBIDDEN;

  private final TokenSet tokens;
  private final boolean browser;
  /** The scope a request needs, from its normalized path. */
  private final Function<String, Scope> needs;

  private BearerAuth(TokenSet tokens, boolean browser, Function<String, Scope> needs) {
    this.tokens = tokens;
    this.browser = browser;
    this.needs = needs;
  }

  /** For API routes: Bearer only. */
  public static BearerAuth api(TokenSet tokens, Function<String, Scope> needs) {
    return new BearerAuth(tokens, false, needs);
  }

  /** For routes a browser opens: Bearer, or Basic with the token as the password. */
  public static BearerAuth browser(TokenSet tokens, Scope needs) {
    return new BearerAuth(tokens, true, path -> needs);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!tokens.enabled()) {
      ctx.put(Principal.KEY, Principal.ANONYMOUS);
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String token = token(header);
    Principal principal = tokens.match(token);
    if (principal != null) {
      Scope scope = needs.apply(ctx.normalizedPath());
      if (principal.has(scope)) {
        ctx.put(Principal.KEY, principal);
        ctx.next();
      } else {
        forbidden(ctx, principal, scope);
      }
      return;
    }
    // Browser routes challenge with Basic alone: Chromium does not prompt for a Basic challenge that
    // shares the header with a Bearer one, so a combined challenge locked browsers out of the dashboard.
    String challenge = browser
        ? "Basic realm=\"" + REALM + "\", charset=\"UTF-8\""
        : "Bearer realm=\"" + REALM + "\"" + (token == null ? "" : ", error=\"invalid_token\"");
    ctx.response().setStatusCode(401)
        .putHeader("WWW-Authenticate", challenge)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(new JsonObject().put("error", "unauthorized")
            .put("message", token == null ? "Missing API token: send Authorization: Bearer <token>" : "Invalid API token")
            .encode());
  }

  /** HTTP 403 with a JSON-RPC error (id null: the body is not read) naming the missing scope. */
  private static void forbidden(RoutingContext ctx, Principal principal, Scope scope) {
    JsonObject error = new JsonObject().put("code", FORBIDDEN)
        .put("message", "Forbidden: token '" + principal.name() + "' lacks scope '" + scope.wire() + "'")
        .put("data", new JsonObject().put("scope", scope.wire()));
    ctx.response().setStatusCode(403)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(new JsonObject().put("jsonrpc", "2.0").put("id", null).put("error", error).encode());
  }

  private String token(String header) {
    if (header == null) {
      return null;
    }
    if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    if (browser && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        return colon < 0 ? null : decoded.substring(colon + 1);
      } catch (IllegalArgumentException notBase64) {
        return "";
      }
    }
    return "";
  }
}
