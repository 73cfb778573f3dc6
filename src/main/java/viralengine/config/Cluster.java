package viralengine.config;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Cluster mode (docs/cluster.md): N service nodes on one Vert.x clustered event bus, Hazelcast as the
 * cluster manager, TCP-IP join over an explicit member list ({@code members}) or the addresses a DNS name
 * resolves to at start ({@code dnsName}, the Fly.io {@code <app>.internal} case). Off by default, and then
 * nothing of Hazelcast starts.
 *
 * @param host the address this node binds and announces, for Hazelcast and the event bus: an IP literal
 * @param port Hazelcast's member port
 * @param eventBusPort the event bus's TCP port; 0 picks a free one (peers learn it through Hazelcast)
 * @param members {@code host:port} entries, a port added where the entry had none; empty when {@code dnsName} is used
 * @param heartbeatTimeoutSeconds how long a silent member (frozen, partitioned) stays in the cluster
 */
public record Cluster(boolean enabled, String name, String host, int port, int eventBusPort, List<String> members,
    String dnsName, int heartbeatTimeoutSeconds) {

  static final Set<String> KEYS = Set.of("enabled", "name", "host", "port", "event_bus_port", "members", "dns_name",
      "heartbeat_timeout_seconds");
  public static final int DEFAULT_PORT = 5701;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern IPV4 = Pattern.compile("(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
      + "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
  private static final Pattern DNS_NAME = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");

  /** Whether the join uses a fixed member list (then Hazelcast need not wait before joining). */
  public boolean fixedMembers() {
    return dnsName == null;
  }

  static Cluster from(Settings s) {
    boolean enabled = s.bool("cluster.enabled", false);
    String name = s.string("cluster.name", "viral-engine");
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException("cluster.name", "must be 1 to 64 letters, digits, '.', '_' or '-', got '" + name + "'");
    }
    // On Fly.io the Machine's private IPv6 address is in FLY_PRIVATE_IP.
    String host = ipLiteral(s.string("cluster.host", "127.0.0.1", "FLY_PRIVATE_IP"));
    int port = s.integer("cluster.port", DEFAULT_PORT, 1, 65535);
    int eventBusPort = s.integer("cluster.event_bus_port", 0, 0, 65535);
    List<String> members = s.strings("cluster.members", List.of(), 64, true, AppConfig.HOST_ENTRY,
        "a host or IP with an optional port, such as 10.0.0.2:5701 or [fdaa::3]:5701").stream()
        .map(member -> withPort(member, port)).toList();
    String dnsName = s.raw("cluster.dns_name") == null ? null : s.string("cluster.dns_name", null);
    if (dnsName != null && (dnsName.length() > 253 || !DNS_NAME.matcher(dnsName).matches())) {
      throw new ConfigException("cluster.dns_name", "must be a DNS name such as my-app.internal, got '" + dnsName + "'");
    }
    int heartbeat = s.integer("cluster.heartbeat_timeout_seconds", 10, 2, 300);
    if (enabled && members.isEmpty() == (dnsName == null)) {
      throw new ConfigException(dnsName == null ? "cluster.members" : "cluster.dns_name",
          "set exactly one of cluster.members and cluster.dns_name when cluster.enabled is true");
    }
    if (enabled && s.raw("database.url", "DATABASE_URL") == null) {
      // Each node would run its own embedded PostgreSQL: no shared guard, no shared request_ids.
      throw new ConfigException("cluster.enabled", "needs database.url (DATABASE_URL): every node must share one PostgreSQL");
    }
    return new Cluster(enabled, name, host, port, eventBusPort, members, dnsName, heartbeat);
  }

  /** Hazelcast binds an interface, so the host is an address, not a name; brackets around IPv6 are dropped. */
  private static String ipLiteral(String host) {
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (!IPV4.matcher(bare).matches() && !(bare.length() <= 45 && IPV6.matcher(bare).matches())) {
      throw new ConfigException("cluster.host", "must be an IPv4 or IPv6 address this machine has, got '" + host + "'");
    }
    return bare;
  }

  /** {@code host} or {@code host:port}, {@code [v6]} or {@code [v6]:port}: always with a port. */
  static String withPort(String member, int defaultPort) {
    boolean hasPort = member.startsWith("[") ? member.contains("]:") : member.contains(":");
    return hasPort ? member : member + ":" + defaultPort;
  }
}
