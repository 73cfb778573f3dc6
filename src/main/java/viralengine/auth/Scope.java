package viralengine.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What an API token may do. {@code decide}: the orchestrator agent and MCP; {@code admin}: the admin agent;
 * {@code observe}: the dashboard and metrics.
 */
public enum Scope {
  DECIDE, ADMIN, OBSERVE;

  /** The name used in configuration and in error messages. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Scope> parse(String name) {
    return Arrays.stream(values()).filter(s -> s.wire().equals(name)).findFirst();
  }
}
