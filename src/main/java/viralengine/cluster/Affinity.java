package viralengine.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import viralengine.api.OrchestratorApi;
import viralengine.api.Requests;
import viralengine.rpc.ErrorCodes;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Learner affinity on the event bus. Every node serves the public {@link OrchestratorApi} addresses to callers
 * on the same node (the HTTP edge, co-deployed verticles); a decision whose learner another node owns is
 * forwarded, once, to that node's own address {@code orchestrator.node.<id>.<method>}, and its answer (or
 * error) is relayed. The owner decides whatever it receives there, even if its ring says otherwise for a
 * moment: one hop at most, never a loop. So one node decides for one learner, in line, and the database guard
 * covers the moments when two nodes' rings disagree (a join, a death, a drain).
 *
 * <p>When the owner has no consumer (it died, or is draining), the call is decided here. When it does not
 * answer in time (frozen, overloaded), the caller gets -32001 as for any slow orchestrator, and its learners
 * are decided here for {@link #SUSPECT_MS} ms, renewed on each timeout, until it answers again or is removed.
 */
public final class Affinity {
  /** The calls that decide for a learner; the rest are plain reads and writes, served where they arrive. */
  static final Set<String> ROUTED = Set.of(Requests.SELECT_LOOP, Requests.TRIGGER_EVENT);
  static final long SUSPECT_MS = 1_000;
  /** A call with no deadline header (not from our clients) still gets a bounded hop. */
  static final long DEFAULT_FORWARD_TIMEOUT_MS = 5_000;
  /** Past the caller's deadline, so the owner's own -32001 comes back rather than a bare timeout. */
  static final long REPLY_MARGIN_MS = 25;

  private final Vertx vertx;
  private final ClusterNode node;
  private final Map<String, Long> suspectUntil = new ConcurrentHashMap<>();

  public Affinity(Vertx vertx, ClusterNode node) {
    this.vertx = vertx;
    this.node = node;
  }

  /** The address where this node decides for the learners it owns. */
  public String ownerAddress(String method) {
    return ownerAddress(node.nodeId(), method);
  }

  static String ownerAddress(String nodeId, String method) {
    return "orchestrator.node." + nodeId + "." + method;
  }

  /** Counts a call that a peer forwarded here. */
  /** Advanced by every change of ownership: a node that kept learners' state may no longer own them. */
  public long ringVersion() {
    return node.ringVersion();
  }

  public void servedForPeer() {
    node.stats().servedForPeer();
  }

  /**
   * Decides {@code message} here ({@code local}) when this node owns its learner, no owner is known, or the
   * owner is suspect; otherwise forwards it. Completes when the caller has been answered or handed to {@code local}.
   */
  public Future<Void> route(Message<Object> message, String method, Runnable local) {
    String owner = owner(message, method);
    if (owner == null || owner.equals(node.nodeId()) || suspect(owner)) {
      node.stats().decidedHere();
      local.run();
      return Future.succeededFuture();
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(forwardTimeout(message));
    message.headers().forEach(header -> options.addHeader(header.getKey(), header.getValue()));
    return vertx.eventBus().<Object>request(ownerAddress(owner, method), wire(message.body()), options)
        .transform(answer -> {
          if (answer.succeeded()) {
            node.stats().forwarded();
            suspectUntil.remove(owner);
            message.reply(answer.result().body());
          } else {
            relayFailure(message, owner, answer.cause(), local);
          }
          return Future.<Void>succeededFuture();
        });
  }

  private void relayFailure(Message<Object> message, String owner, Throwable err, Runnable local) {
    ReplyFailure type = err instanceof ReplyException reply ? reply.failureType() : null;
    if (type == ReplyFailure.RECIPIENT_FAILURE) {
      message.fail(((ReplyException) err).failureCode(), err.getMessage());
    } else if (type == ReplyFailure.NO_HANDLERS) {
      node.stats().ownerGone();
      local.run();
    } else if (type == ReplyFailure.TIMEOUT) {
      node.stats().ownerSlow();
      suspectUntil.put(owner, System.currentTimeMillis() + SUSPECT_MS);
      message.fail(ErrorCodes.TIMEOUT, "The node that owns this learner did not answer in time; nothing was recorded here");
    } else {
      message.fail(ErrorCodes.ORCHESTRATOR_ERROR, "Could not reach the node that owns this learner");
    }
  }

  private boolean suspect(String owner) {
    Long until = suspectUntil.get(owner);
    if (until == null) {
      return false;
    }
    if (System.currentTimeMillis() < until) {
      return true;
    }
    suspectUntil.remove(owner, until);
    return false;
  }

  /** The learner's owner for a decision with a usable user_id; null (decide here) for anything else, which fails validation here. */
  private String owner(Message<Object> message, String method) {
    if (!ROUTED.contains(method) || !(wire(message.body()) instanceof JsonObject params)
        || !(params.getValue("user_id") instanceof String userId)) {
      return null;
    }
    return node.ownerOf(userId);
  }

  /** What goes to another node: a request parsed here travels as its params, which the owner validates. */
  private static Object wire(Object body) {
    return body instanceof Requests.Parsed parsed ? parsed.params() : body;
  }

  private static long forwardTimeout(Message<Object> message) {
    String deadline = message.headers().get(OrchestratorApi.HEADER_DEADLINE);
    if (deadline != null) {
      try {
        return Math.max(1, Long.parseLong(deadline) - System.currentTimeMillis()) + REPLY_MARGIN_MS;
      } catch (NumberFormatException ignored) {
        // the owner ignores a malformed deadline too
      }
    }
    return DEFAULT_FORWARD_TIMEOUT_MS;
  }
}
