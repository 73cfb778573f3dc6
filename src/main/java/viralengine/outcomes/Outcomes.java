package viralengine.outcomes;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import viralengine.api.Requests;
import viralengine.incentives.JoinGrants;
import viralengine.metrics.LoopActivity;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.Ids;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/** record_outcome and explain_decision: what happened after a decision, and why it was made. */
public final class Outcomes {
  /** Outcomes belong to decisions that showed a loop, or held the learner out (what lift is measured against). */
  static final Set<String> RECORDABLE = Set.of("selected", "holdout");
  static final String DISMISSED = "dismissed";
  static final String JOINED = "joined";

  private final OutcomeStore store;
  private final Clock clock;
  private final LoopActivity activity;
  /** Told the learner's id when a dismissal is recorded: it starts a cooldown, so what was kept of them is stale. */
  private final Consumer<String> dismissed;
  /** Two-sided rewards of a join (null: none are granted). */
  private final JoinGrants joinGrants;

  public Outcomes(OutcomeStore store, Clock clock, LoopActivity activity, Consumer<String> dismissed) {
    this(store, clock, activity, dismissed, null);
  }

  public Outcomes(OutcomeStore store, Clock clock, LoopActivity activity, Consumer<String> dismissed,
      JoinGrants joinGrants) {
    this.store = store;
    this.clock = clock;
    this.activity = activity;
    this.dismissed = dismissed;
    this.joinGrants = joinGrants;
  }

  public Future<JsonObject> record(Requests.RecordOutcome r) {
    OffsetDateTime occurred = r.occurredAt() != null ? r.occurredAt() : OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    OutcomeStore.NewOutcome outcome = new OutcomeStore.NewOutcome(r.decisionId(), r.outcome(), occurred, r.requestId(),
        r.referredUserId(), r.context(), r.params());
    return store.record(outcome, Ids.next()).compose(recorded -> {
      refuse(r.decisionId(), recorded);
      // A holdout's row keeps its counterfactual loop (what lift compares with), but the learner was shown no loop.
      String shown = OutcomeStore.HOLDOUT.equals(recorded.decided()) ? null : recorded.loop();
      if (recorded.inserted()) {
        activity.record(shown == null ? "none" : shown, r.outcome());
        if (DISMISSED.equals(r.outcome())) {
          dismissed.accept(recorded.userId());
        }
        return rewarded(r, recorded, shown, result(recorded.outcomeId(), r.decisionId(), r.outcome(), occurred, shown));
      }
      return replay(r, shown).compose(answer -> rewarded(r, recorded, shown, answer));
    });
  }

  /**
   * A join through a loop with an incentive grants both sides, on the first call and on every retry alike: the
   * grants are idempotent, so a retry completes what a failed first call left undone and never grants twice.
   */
  private Future<JsonObject> rewarded(Requests.RecordOutcome r, OutcomeStore.Recorded recorded, String shown, JsonObject answer) {
    if (joinGrants == null || !JOINED.equals(r.outcome()) || r.referredUserId() == null || shown == null) {
      return Future.succeededFuture(answer);
    }
    return joinGrants.grant(r.decisionId(), shown, recorded.userId(), r.referredUserId())
        .map(rewards -> rewards == null ? answer : answer.put("rewards", rewards));
  }

  public Future<JsonObject> explain(Requests.ExplainDecision r) {
    return store.explain(r.decisionId()).compose(found -> found == null
        ? Future.failedFuture(notFound(r.decisionId())) : Future.succeededFuture(found));
  }

  /** Throws when no outcome may be recorded for this decision, saying which rule it broke. */
  private static void refuse(UUID decisionId, OutcomeStore.Recorded recorded) {
    if (!recorded.found()) {
      throw notFound(decisionId);
    }
    if (!recorded.success()) {
      throw RpcException.invalidParams("decision_id", "names a decision the orchestrator did not make (the caller got "
          + "the default decision or an error); outcomes are recorded for selected loops and holdouts only");
    }
    if (recorded.dryRun()) {
      throw RpcException.invalidParams("decision_id", "names a dry run, which showed nothing");
    }
    if (!RECORDABLE.contains(recorded.decided())) {
      throw RpcException.invalidParams("decision_id", "names a decision whose outcome was " + recorded.decided()
          + "; outcomes are recorded for selected loops and holdouts only");
    }
  }

  /** The insert found the request_id taken: answer as the first call was answered, or refuse a reuse. */
  private Future<JsonObject> replay(Requests.RecordOutcome r, String loop) {
    return store.byRequestId(r.requestId()).compose(earlier -> {
      if (earlier == null || !earlier.params().equals(r.params())) {
        return Future.failedFuture(new RpcException(ErrorCodes.IDEMPOTENCY_CONFLICT,
            "Idempotency conflict: request_id was already used with different params",
            new JsonObject().put("request_id", r.requestId())));
      }
      return Future.succeededFuture(result(earlier.outcomeId(), earlier.decisionId(), earlier.outcome(),
          earlier.occurredAt(), loop));
    });
  }

  private static JsonObject result(UUID outcomeId, UUID decisionId, String outcome, OffsetDateTime occurred, String loop) {
    return new JsonObject()
        .put("outcome_id", outcomeId.toString())
        .put("decision_id", decisionId.toString())
        .put("outcome", outcome)
        .put("loop", loop)
        .put("occurred_at", occurred.toInstant().toString());
  }

  private static RpcException notFound(UUID decisionId) {
    return new RpcException(ErrorCodes.NOT_FOUND, "Decision not found: " + decisionId,
        new JsonObject().put("decision_id", decisionId.toString()));
  }
}
