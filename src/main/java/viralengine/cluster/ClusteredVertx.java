package viralengine.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.config.Cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the clustered Vert.x of cluster mode: Hazelcast with TCP-IP join over an explicit member list (or the
 * addresses a DNS name has at start), bound to {@code cluster.host}, and the event bus on the same host. The
 * returned future completes once this node has joined (or formed) the cluster. Only this class and
 * {@link ClusterNode} name Hazelcast; with {@code cluster.enabled=false} neither is loaded.
 */
public final class ClusteredVertx {
  private static final Logger LOG = LoggerFactory.getLogger(ClusteredVertx.class);

  private ClusteredVertx() {}

  /** A clustered Vert.x with {@code options} (metrics and the rest), the event bus set from {@code cluster}. */
  public static Future<Vertx> start(Cluster cluster, VertxOptions options, VertxMetricsFactory metrics) {
    List<String> members = members(cluster);
    LOG.info("Cluster mode: joining cluster '{}' as {}:{} with members {}", cluster.name(), cluster.host(), cluster.port(), members);
    options.setEventBusOptions(new EventBusOptions()
        .setHost(cluster.host())
        .setPort(cluster.eventBusPort())
        .setClusterPublicHost(cluster.host()));
    long start = System.nanoTime();
    return Vertx.builder()
        .with(options)
        .withMetrics(metrics)
        .withClusterManager(new HazelcastClusterManager(hazelcast(cluster, members)))
        .buildClustered()
        .onSuccess(vertx -> LOG.info("Joined cluster '{}' in {} ms", cluster.name(), (System.nanoTime() - start) / 1_000_000));
  }

  /** The Hazelcast configuration: Vert.x's defaults (its maps), with discovery and timing set from {@code cluster}. */
  static Config hazelcast(Cluster cluster, List<String> members) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(cluster.name());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    // The service drains on SIGTERM and then leaves the cluster itself; Hazelcast's own hook would leave first.
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.local.localAddress", cluster.host());
    config.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(cluster.heartbeatTimeoutSeconds()));
    // Heartbeats every second (default 5) so a short timeout is not a single missed beat.
    config.setProperty("hazelcast.heartbeat.interval.seconds",
        Integer.toString(Math.max(1, Math.min(5, cluster.heartbeatTimeoutSeconds() / 5))));
    if (cluster.host().contains(":")) {
      config.setProperty("hazelcast.prefer.ipv4.stack", "false");
    }
    if (cluster.fixedMembers()) {
      // ~2 s to join instead of ~7 s; only safe with a fixed list (with discovery it forms split clusters).
      config.setProperty("hazelcast.wait.seconds.before.join", "0");
    }
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).setInterfaces(List.of(cluster.host()));
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    // A listed member that is not up yet (the first node of a cluster) costs this long per attempt, not 5 s.
    join.getTcpIpConfig().setEnabled(true).setMembers(members).setConnectionTimeoutSeconds(1);
    return config;
  }

  /**
   * {@code cluster.members}, or every address {@code cluster.dns_name} resolves to now, with the cluster port.
   * A name that does not resolve yet (the first Machine of an app) leaves this node alone in its own cluster,
   * which later nodes join: it is logged, not fatal.
   */
  static List<String> members(Cluster cluster) {
    if (cluster.fixedMembers()) {
      return cluster.members();
    }
    List<String> resolved = new ArrayList<>();
    resolved.add(address(cluster.host(), cluster.port()));
    try {
      for (InetAddress address : InetAddress.getAllByName(cluster.dnsName())) {
        String member = address(address.getHostAddress().replaceFirst("%.*$", ""), cluster.port());
        if (!resolved.contains(member)) {
          resolved.add(member);
        }
      }
    } catch (UnknownHostException e) {
      LOG.warn("cluster.dns_name {} does not resolve yet ({}): starting alone; peers that start later join this node",
          cluster.dnsName(), e.getMessage());
    }
    return resolved;
  }

  private static String address(String ip, int port) {
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
  }
}
