package viralengine.decisionlog;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import viralengine.store.DecisionRecord;
import viralengine.store.FallbackRecord;

/** One row on its way to PostgreSQL or the spool: settled once, on the caller's context. */
final class Pending {
  final Object entry;
  final Promise<Boolean> promise = Promise.promise();
  final Context caller;
  /** A fallback that claims its request_id: it goes in only if the id is free, and its caller waits to know. */
  final boolean claim;
  boolean settled;

  Pending(Object entry, Context caller, boolean claim) {
    this.entry = entry;
    this.caller = caller;
    this.claim = claim;
  }

  /** A row whose answer depends on PostgreSQL's verdict: never spooled (see {@link Settlement#refuseAwaited}). */
  boolean awaited() {
    return hasRequestId() || guarded();
  }

  boolean hasRequestId() {
    return claim || entry instanceof DecisionRecord d && d.requestId() != null;
  }

  boolean guarded() {
    return entry instanceof DecisionRecord d && d.guarded();
  }

  /** An answer given in the orchestrator's place that waits for nobody: it goes after the decisions. */
  boolean background() {
    return entry instanceof FallbackRecord && !claim;
  }
}
