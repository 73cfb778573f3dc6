package viralengine.cluster;

import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.LongAdder;

/**
 * What this node did with the decisions it received: decided them as the owner, forwarded them to the owner,
 * served them for a peer, or decided them itself because the owner did not take them. Health reports these;
 * the benchmark and the tests read them to see where decisions were made.
 */
final class AffinityStats {
  private final LongAdder decidedHere = new LongAdder();
  private final LongAdder forwarded = new LongAdder();
  private final LongAdder servedForPeers = new LongAdder();
  private final LongAdder ownerGone = new LongAdder();
  private final LongAdder ownerSlow = new LongAdder();
  private final LongAdder membersLost = new LongAdder();

  void decidedHere() {
    decidedHere.increment();
  }

  void forwarded() {
    forwarded.increment();
  }

  void servedForPeer() {
    servedForPeers.increment();
  }

  /** The owner had no consumer (dead, or draining): decided here instead. */
  void ownerGone() {
    ownerGone.increment();
  }

  /** The owner did not answer in time: the caller got -32001, and its next learners are decided here for a while. */
  void ownerSlow() {
    ownerSlow.increment();
  }

  void memberLost() {
    membersLost.increment();
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("decided_here", decidedHere.sum())
        .put("forwarded", forwarded.sum())
        .put("served_for_peers", servedForPeers.sum())
        .put("owner_gone", ownerGone.sum())
        .put("owner_timeouts", ownerSlow.sum())
        .put("members_lost", membersLost.sum());
  }
}
