package viralengine.mcp;

import io.vertx.core.net.HostAndPort;
import viralengine.config.AppConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DNS-rebinding protection, as the Streamable HTTP transport requires: which {@code Origin} and
 * {@code Host} values {@code /mcp} accepts. An allow-list entry without a port matches any port; with a
 * port, only that port. Scheme and host compare case-insensitively. The configured {@code http.host} is
 * always allowed unless it is a wildcard bind address.
 */
final class OriginPolicy {
  private static final Pattern AUTHORITY = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[^:/\\[\\]]+)(?::([0-9]{1,5}))?");
  private static final Pattern ORIGIN = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://" + AUTHORITY.pattern());
  private static final Set<String> WILDCARD_BINDS = Set.of("0.0.0.0", "::", "[::]", "*");

  private record Entry(String scheme, String host, int port) {
    boolean matches(String scheme, String host, int port) {
      return (this.scheme == null || this.scheme.equals(scheme)) && this.host.equals(host)
          && (this.port < 0 || this.port == port);
    }
  }

  private final List<Entry> origins;
  private final List<Entry> hosts;

  private OriginPolicy(List<Entry> origins, List<Entry> hosts) {
    this.origins = origins;
    this.hosts = hosts;
  }

  static OriginPolicy of(AppConfig.Mcp mcp, String bindHost) {
    List<Entry> origins = new ArrayList<>();
    List<Entry> hosts = new ArrayList<>();
    for (String origin : mcp.allowedOrigins()) {
      origins.add(origin(origin));
    }
    for (String host : mcp.allowedHosts()) {
      hosts.add(authority(null, host));
    }
    if (bindHost != null && !WILDCARD_BINDS.contains(bindHost)) {
      String host = bindHost.contains(":") && !bindHost.startsWith("[") ? "[" + bindHost + "]" : bindHost;
      hosts.add(authority(null, host));
      origins.add(authority("http", host));
      origins.add(authority("https", host));
    }
    return new OriginPolicy(List.copyOf(origins), List.copyOf(hosts));
  }

  /** True when {@code origin} (the header's value) is on the allow-list. {@code "null"} and junk are not. */
  boolean allowsOrigin(String origin) {
    Matcher m = ORIGIN.matcher(origin.trim());
    if (!m.matches()) {
      return false;
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    String host = m.group(2).toLowerCase(Locale.ROOT);
    int port = m.group(3) == null ? -1 : Integer.parseInt(m.group(3));
    return origins.stream().anyMatch(entry -> entry.matches(scheme, host, port));
  }

  /** True when the request's authority (its {@code Host}) is on the allow-list. */
  boolean allowsHost(HostAndPort authority) {
    if (authority == null || authority.host() == null) {
      return false;
    }
    String host = authority.host().toLowerCase(Locale.ROOT);
    return hosts.stream().anyMatch(entry -> entry.matches(null, host, authority.port()));
  }

  private static Entry origin(String origin) {
    int colon = origin.indexOf("://");
    return authority(origin.substring(0, colon).toLowerCase(Locale.ROOT), origin.substring(colon + 3));
  }

  private static Entry authority(String scheme, String authority) {
    Matcher m = AUTHORITY.matcher(authority);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a host[:port]: " + authority);
    }
    return new Entry(scheme, m.group(1).toLowerCase(Locale.ROOT), m.group(2) == null ? -1 : Integer.parseInt(m.group(2)));
  }
}
