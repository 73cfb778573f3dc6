package viralengine.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The start-up rehearsal's pass through the HTTP edge. The warm-up sends decision calls to this process's own port
 * with a secret made at start and never logged; such a call is decided like any other and written to nothing (see
 * {@code OrchestratorApi.HEADER_REHEARSAL}). It skips the token check and the rate limit, which it has no token for,
 * and only on the two decision routes: the secret grants a decision that leaves no trace, never anything else.
 */
public final class Rehearsal {
  public static final String HEADER = "x-viral-rehearsal";
  static final String KEY = "viral.rehearsal";
  static final Set<String> PATHS = Set.of("/mcp/orchestrator/select_loop", "/mcp/orchestrator/trigger_event");

  private final byte[] secret;
  private volatile int port;

  private Rehearsal(byte[] secret) {
    this.secret = secret;
  }

  public static Rehearsal create() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    return new Rehearsal(HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII));
  }

  /** The header value the warm-up sends. */
  public String secret() {
    return new String(secret, StandardCharsets.US_ASCII);
  }

  /** The port HTTP listens on (known once it listens; 0 before). */
  public int port() {
    return port;
  }

  void listening(int actualPort) {
    this.port = actualPort;
  }

  /** Runs {@code guard} unless the request is a rehearsal, which it marks for the orchestrator client instead. */
  Handler<RoutingContext> unlessRehearsal(Handler<RoutingContext> guard) {
    return ctx -> {
      if (isRehearsal(ctx)) {
        ctx.put(KEY, true);
        ctx.next();
      } else {
        guard.handle(ctx);
      }
    };
  }

  static boolean marked(RoutingContext ctx) {
    return Boolean.TRUE.equals(ctx.get(KEY));
  }

  private boolean isRehearsal(RoutingContext ctx) {
    String offered = ctx.request().getHeader(HEADER);
    return offered != null && PATHS.contains(ctx.normalizedPath())
        && MessageDigest.isEqual(secret, offered.getBytes(StandardCharsets.US_ASCII));
  }
}
