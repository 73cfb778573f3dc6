package viralengine.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * This node's view of the cluster: which members are up, which of them are ready to own learners, and the
 * {@link OwnerRing} built from those. A node is an owner from {@link #announce} (its orchestrator is warm) to
 * {@link #withdraw} (its drain starts) or its death, whichever comes first: a member that is still migrating
 * its database or draining owns nobody, so nobody forwards to it.
 *
 * <p>The ready set is a Hazelcast replicated map (every member reads its own copy), intersected with the live
 * members that Hazelcast reports, so a dead node leaves the ring as soon as it leaves the cluster. The ring is
 * rebuilt on every membership event and checked every {@link #REFRESH_MS} ms; deciding reads one volatile field.
 */
public final class ClusterNode {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
  static final String OWNERS_MAP = "viral-engine.owners";
  static final long REFRESH_MS = 250;
  /** Vert.x's node id of a Hazelcast member, as vertx-hazelcast sets it. */
  private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final Vertx vertx;
  private final ClusterManager manager;
  private final HazelcastInstance hazelcast;
  /** Set by {@link #start}: creating the map's proxy is a remote call, never made on an event loop. */
  private volatile ReplicatedMap<String, String> owners;
  private final String nodeId;
  private final AffinityStats stats = new AffinityStats();
  private volatile View view;
  private UUID listener;
  private long timer = -1;

  /**
   * One consistent snapshot, read on a worker thread: the live members, what the owners announced, the ring over the
   * ready ones, and when it last changed. Deciding and health read only this.
   */
  private record View(List<String> members, Map<String, String> announced, OwnerRing ring, long version, Instant changedAt) {}

  private ClusterNode(Vertx vertx, ClusterManager manager, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.manager = manager;
    this.hazelcast = hazelcast;
    this.nodeId = manager.getNodeId();
    this.view = new View(List.of(nodeId), Map.of(), OwnerRing.of(List.of()), 0, Instant.now());
  }

  /** The node of a Vert.x built by {@link ClusteredVertx}; fails when {@code vertx} is not clustered with Hazelcast. */
  public static ClusterNode of(Vertx vertx) {
    ClusterManager manager = vertx instanceof VertxInternal internal ? internal.clusterManager() : null;
    if (!(manager instanceof HazelcastClusterManager hz)) {
      throw new IllegalStateException("cluster.enabled is true but this Vert.x is not clustered with Hazelcast:"
          + " build it with ClusteredVertx.start (Main does)");
    }
    return new ClusterNode(vertx, manager, hz.getHazelcastInstance());
  }

  /** Starts following membership; the ring is empty until some node (this one included) announces itself. */
  public Future<Void> start() {
    return vertx.executeBlocking(() -> {
      owners = hazelcast.getReplicatedMap(OWNERS_MAP);
      listen();
      return null;
    }, false).compose(v -> {
      timer = vertx.setPeriodic(REFRESH_MS, id -> refresh());
      return refresh();
    });
  }

  private void listen() {
    listener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        vertx.runOnContext(v -> refresh());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String gone = vertxId(event);
        LOG.warn("Cluster member {} left; its learners move to the remaining owners", gone);
        stats.memberLost();
        // Every survivor removes it: idempotent, and the ring already ignores members that are gone.
        vertx.executeBlocking(() -> owners.remove(gone), false).onComplete(done -> refresh());
      }
    });
  }

  /** This node owns learners from now on; {@code info} (its host and HTTP port) is what peers and the dashboard show. */
  public Future<Void> announce(JsonObject info) {
    JsonObject entry = info.copy().put("owner_since", Instant.now().toString());
    return vertx.executeBlocking(() -> owners.put(nodeId, entry.encode()), false)
        .onSuccess(previous -> LOG.info("Node {} owns learners from now on", nodeId))
        .compose(previous -> refresh());
  }

  /** This node owns nobody from now on (the drain): peers stop forwarding to it within {@link #REFRESH_MS} ms. */
  public Future<Void> withdraw() {
    return vertx.executeBlocking(() -> owners.remove(nodeId), false)
        .onSuccess(previous -> LOG.info("Node {} withdrew from the owner ring", nodeId))
        .compose(previous -> refresh())
        .otherwise(err -> null);
  }

  public void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    if (listener != null) {
      try {
        hazelcast.getCluster().removeMembershipListener(listener);
      } catch (RuntimeException alreadyDown) {
        // Hazelcast shut down first: nothing to remove
      }
    }
  }

  public String nodeId() {
    return nodeId;
  }

  public OwnerRing ring() {
    return view.ring();
  }

  /** Advanced by every change of the owner ring. */
  public long ringVersion() {
    return view.version();
  }

  /** The owner of {@code userId}'s decisions, or null while no node is ready. */
  public String ownerOf(String userId) {
    return view.ring().owner(userId);
  }

  AffinityStats stats() {
    return stats;
  }

  /** Joined, and this node's own announcement has reached its own ring: what readiness waits for. */
  public boolean joined() {
    return manager.isActive() && view.ring().contains(nodeId);
  }

  /** Rebuilds the view when the live members or the ready set changed. */
  private Future<Void> refresh() {
    return vertx.executeBlocking(() -> {
      List<String> members = List.copyOf(new java.util.TreeSet<>(manager.getNodes()));
      Map<String, String> announced = Map.copyOf(owners);
      Set<String> ready = new HashSet<>(announced.keySet());
      ready.retainAll(members);
      return new View(members, announced, OwnerRing.of(ready), 0, Instant.now());
    }, false).map(read -> {
      View current = view;
      if (!read.members().equals(current.members()) || !read.ring().nodes().equals(current.ring().nodes())) {
        view = new View(read.members(), read.announced(), read.ring(), current.version() + 1, read.changedAt());
        LOG.info("Owner ring version {}: {} members, {} owners", current.version() + 1, read.members().size(),
            read.ring().nodes().size());
      } else if (!read.announced().equals(current.announced())) {
        view = new View(current.members(), read.announced(), current.ring(), current.version(), current.changedAt());
      }
      return (Void) null;
    }).otherwise(err -> null); // Hazelcast shutting down: keep the last view
  }

  /**
   * The {@code cluster} object of the health body: this node, the members (with what the owners announced) and
   * the owner table's state: {@code stable} when every live member owns learners, {@code changing} while one
   * is starting or draining.
   */
  public JsonObject health() {
    View current = view;
    JsonArray members = new JsonArray();
    for (String member : current.members()) {
      String info = current.announced().get(member);
      members.add((info == null ? new JsonObject() : new JsonObject(info))
          .put("node_id", member)
          .put("self", member.equals(nodeId))
          .put("owner", current.ring().contains(member)));
    }
    boolean stable = current.ring().nodes().size() == current.members().size();
    return new JsonObject()
        .put("enabled", true)
        .put("node_id", nodeId)
        .put("joined", joined())
        .put("member_count", current.members().size())
        .put("members", members)
        .put("owners", new JsonObject()
            .put("state", stable ? "stable" : "changing")
            .put("version", current.version())
            .put("changed_at", current.changedAt().toString())
            .put("owner_count", current.ring().nodes().size())
            .put("share", Math.round(current.ring().share(nodeId) * 1000) / 1000.0))
        .put("affinity", stats.toJson());
  }

  private static String vertxId(MembershipEvent event) {
    Object id = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
    return id == null ? event.getMember().getUuid().toString() : id.toString();
  }
}
