package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.api.Requests;
import viralengine.decision.Check;
import viralengine.decision.Decider;
import viralengine.decision.Evaluation;
import viralengine.decision.Experiment;
import viralengine.decision.Posteriors;
import viralengine.decision.Reason;
import viralengine.decision.Situation;
import viralengine.decisionlog.DecisionLog;
import viralengine.learners.History;
import viralengine.learners.Learner;
import viralengine.learners.LearnerStore;
import viralengine.learners.RecentLearners;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;
import viralengine.metrics.LoopActivity;
import viralengine.metrics.ServiceMetrics;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.store.EventRecord;
import viralengine.store.Ids;
import viralengine.store.StaleSelection;
import viralengine.store.StoredOutcome;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * The decision logic: route the event, run the eligibility checks, record the decision, and answer
 * repeated request_ids with the original answer.
 */
final class Orchestrator {
  private static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);
  /** Decide-and-record attempts when another instance keeps recording selections for the same learner. */
  static final int MAX_ATTEMPTS = 3;
  /** A call waiting for its learner's turn gives up this long before its deadline, so its answer arrives in time. */
  static final long BUSY_MARGIN_MS = 20;
  static final long BUSY_RETRY_AFTER_MS = 100;
  private final DecisionLog log;
  private final LearnerStore learners;
  /** Learner state kept between decisions; PostgreSQL's guard catches an entry another process made stale. */
  private final RecentLearners recent;
  private final EventRouter router = new EventRouter();
  private final IdempotencyCache cache;
  private final Supplier<Catalog> catalog;
  private final Clock clock;
  private final ServiceMetrics metrics;
  private final Experiment experiment;
  /** The bandit's latest snapshot, refreshed off the hot path; read once per decision. */
  private final Supplier<Posteriors> posteriors;
  /** The last call in line for each learner with calls in flight: one learner's decisions are made one at a time. */
  private final Map<String, Future<?>> queues = new HashMap<>();
  /** Each learner's selection in flight (its durable write): the next selection for them waits for it. */
  private final Map<String, Future<Boolean>> selecting = new HashMap<>();
  /** The call deciding each request_id now: a retry that races it waits for its answer instead of deciding again. */
  private final Map<String, Future<JsonObject>> deciding = new HashMap<>();
  private final Vertx vertx;
  private final AgentStep agents;

  Orchestrator(Vertx vertx, DecisionLog log, LearnerStore learners, RecentLearners recent, IdempotencyCache cache,
      Supplier<Catalog> catalog, Clock clock, ServiceMetrics metrics, Experiment experiment,
      Supplier<Posteriors> posteriors, AgentStep agents) {
    this.vertx = vertx;
    this.agents = agents;
    this.recent = recent;
    this.experiment = experiment;
    this.posteriors = posteriors;
    this.log = log;
    this.learners = learners;
    this.cache = cache;
    this.catalog = catalog;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** A decision ready to record: the caller's result and the audit row. */
  private record Decision(JsonObject result, DecisionRecord record, Evaluation evaluation) {}

  Future<JsonObject> handle(Requests.Request request, Call call) {
    String requestId = request.requestId();
    if (requestId == null || call.rehearsal()) {
      return decideInTurn(request, call);
    }
    IdempotencyCache.Answer cached = cache.get(requestId);
    metrics.cache(cached != null);
    if (cached != null) {
      return replay(cached, request);
    }
    Future<JsonObject> first = deciding.get(requestId);
    if (first != null) {
      // Once the first call has its answer, this one is a plain retry: the cache (or PostgreSQL) answers it.
      return first.transform(done -> handle(request, call));
    }
    Future<JsonObject> mine = decideInTurn(request, call);
    if (!mine.isComplete()) {
      deciding.put(requestId, mine);
      mine.onComplete(done -> deciding.remove(requestId, mine));
    }
    return mine;
  }

  private Future<JsonObject> decideInTurn(Requests.Request request, Call call) {
    // With no loop active nothing can be selected, so nothing needs to wait its turn (Phase 1's shape).
    if (catalog.get().loops().stream().noneMatch(Loop::active)) {
      return decideAndRecord(request, call, 1, Promise.promise());
    }
    return inLine(request, call);
  }

  int cacheSize() {
    return cache.size();
  }

  /** The learner's profile, a dismissal or their owner changed: the next decision reads them again. */
  void forget(String userId) {
    recent.forget(userId);
  }

  /** The learner was erased: nothing of them stays in this verticle's memory. */
  void erased(String userId) {
    recent.forget(userId);
    cache.forgetLearner(userId);
  }

  void forgetAll() {
    recent.clear();
  }

  /**
   * Decides after the learner's earlier calls have taken their turn. A turn ends once the call has decided and handed
   * its row to the decision log: a selection that counts is kept as if durable already (see {@link #record}), so the
   * next call sees it (cap reached, cooling down) without waiting for the write, and a call that selects nothing
   * changes nothing the next one reads. Only a second selection waits for the first one's write. So fifty calls for
   * one learner wait for no durable write at all. Decisions in this process never race; the database guard covers
   * other processes.
   *
   * <p>A call still waiting for its turn near its deadline gives up with a retriable -32003: the learner's own
   * backlog is that learner's problem, and a fast honest answer does not count against the orchestrator.
   */
  private Future<JsonObject> inLine(Requests.Request request, Call call) {
    String userId = request.userId();
    Promise<Void> turn = Promise.promise();
    Future<?> before = queues.get(userId);
    Future<Void> mine = turn.future();
    queues.put(userId, mine);
    mine.onComplete(done -> queues.remove(userId, mine));
    if (before == null) {
      return decideAndRecord(request, call, 1, turn).onComplete(done -> turn.tryComplete());
    }
    Promise<JsonObject> answer = Promise.promise();
    long waitMs = call.deadlineMillis() == Long.MAX_VALUE ? -1 : call.deadlineMillis() - System.currentTimeMillis() - BUSY_MARGIN_MS;
    long timer = waitMs < 0 ? -1 : vertx.setTimer(Math.max(1, waitMs), id -> answer.tryFail(busy()));
    before.onComplete(done -> {
      vertx.cancelTimer(timer);
      if (answer.future().isComplete()) {
        turn.tryComplete(); // gave up waiting: the next call's turn comes at once
        return;
      }
      decideAndRecord(request, call, 1, turn).onComplete(result -> {
        turn.tryComplete();
        if (result.succeeded()) {
          answer.tryComplete(result.result());
        } else {
          answer.tryFail(result.cause());
        }
      });
    });
    return answer.future();
  }

  private static RpcException busy() {
    return RpcException.retryLater("This learner's earlier calls are still being decided; nothing was decided for this"
        + " one, retry later", BUSY_RETRY_AFTER_MS);
  }

  private Future<JsonObject> decideAndRecord(Requests.Request request, Call call, int attempt, Promise<Void> turn) {
    return decide(request, call).compose(decision -> {
      Future<?> earlier = selecting.get(request.userId());
      if (decision.record().guarded() && earlier != null) {
        // One guard at a time per learner: decided on an earlier selection not yet durable, this one waits for it
        // (holding the line) and is decided again on what that write turned out to be.
        return earlier.transform(done -> decideAndRecord(request, call, attempt, turn));
      }
      return record(request, decision, call, turn);
    }).recover(err -> {
      if (!(err instanceof StaleSelection)) {
        return Future.failedFuture(err);
      }
      if (attempt >= MAX_ATTEMPTS) {
        return Future.failedFuture(new RpcException(ErrorCodes.ORCHESTRATOR_ERROR, "Another instance recorded a "
            + "selection for this learner during each of " + MAX_ATTEMPTS + " attempts; no loop was selected"));
      }
      metrics.staleSelection();
      recent.forget(request.userId());
      return decideAndRecord(request, call, attempt + 1, turn);
    });
  }

  private Future<Decision> decide(Requests.Request request, Call call) {
    Catalog snapshot = catalog.get();
    Instant now = clock.instant();
    // With no loop active, nothing about the learner can change the answer: Phase 1's shape, no read.
    Future<LearnerStore.State> state = snapshot.loops().stream().anyMatch(Loop::active)
        ? known(request.userId(), Decider.historySince(snapshot, now), now)
        : Future.succeededFuture(new LearnerStore.State(Learner.unknown(request.userId()), History.NONE, 0, Map.of()));
    return state.compose(known -> {
      Situation situation = new Situation(known.learner(), request.eventType(), request.context(), known.history(), now,
          experiment.forDecision(known.variants(), posteriors.get()));
      Evaluation eval = Decider.decide(snapshot, situation);
      Future<?> earlier = selecting.get(request.userId());
      if (earlier != null && eval.shown() != null && !(request instanceof Requests.SelectLoop s && s.dryRun())) {
        // A selection that counts waits for the learner's earlier one (see decideAndRecord) before any agent is asked:
        // it is decided again on what that write turned out to be, and the agents only for that decision.
        return earlier.transform(done -> decide(request, call));
      }
      return agents.run(snapshot, situation, eval, request, call).map(vetted ->
          request instanceof Requests.TriggerEvent event ? triggerDecision(event, vetted, known, call, now)
              : selectDecision((Requests.SelectLoop) request, vetted, known, call, now));
    });
  }

  /** The learner as kept from their last decision, or as read now (and then kept). */
  private Future<LearnerStore.State> known(String userId, Instant since, Instant now) {
    LearnerStore.State kept = recent.get(userId, since, now);
    metrics.learnerCache(kept != null);
    if (kept != null) {
      return Future.succeededFuture(kept);
    }
    long readAt = recent.generation();
    return learners.state(userId, since).onSuccess(read -> recent.put(userId, read, since, now, readAt));
  }

  private Decision triggerDecision(Requests.TriggerEvent event, AgentStep.Vetted vetted, LearnerStore.State known,
      Call call, Instant now) {
    Evaluation eval = vetted.evaluation();
    EventHandler handler = router.route(event.eventType());
    String handled = handler.handle(event);
    UUID eventId = Ids.next();
    JsonObject result = decisionResult(call, vetted, false);
    JsonObject ordered = new JsonObject()
        .put("decision_id", result.getString("decision_id"))
        .put("event_id", eventId.toString())
        .put("event_type", event.eventType())
        .put("handler", handler.name())
        .mergeIn(result);
    EventRecord row = new EventRecord(eventId, event.eventType(), event.userId(),
        event.occurredAt() == null ? call.receivedAt() : event.occurredAt(), call.receivedAt(), event.context());
    JsonObject features = features(vetted, event.eventType()).put("handler", handler.name()).put("handled", handled);
    return new Decision(ordered, decisionRecord(event, ordered, eval, features, known, false, call, row, now), eval);
  }

  private Decision selectDecision(Requests.SelectLoop request, AgentStep.Vetted vetted, LearnerStore.State known,
      Call call, Instant now) {
    Evaluation eval = vetted.evaluation();
    JsonObject result = decisionResult(call, vetted, request.dryRun());
    JsonObject features = features(vetted, request.eventType());
    if (request.dryRun()) {
      features.put("dry_run", true);
    }
    return new Decision(result, decisionRecord(request, result, eval, features, known, request.dryRun(), call, null, now),
        eval);
  }

  /** The audit's features, with the agents' calls (AGENTS.md "Audit") when any was made. */
  private static JsonObject features(AgentStep.Vetted vetted, String eventType) {
    JsonObject features = vetted.evaluation().features(eventType);
    if (!vetted.calls().isEmpty()) {
      features.put("agents", vetted.calls());
    }
    if (vetted.flagged()) {
      features.put("flagged", true);
    }
    return features;
  }

  /** The fields every decision answers with (DECISIONING.md "Deciding", AGENTS.md "The decision with agents"). */
  private static JsonObject decisionResult(Call call, AgentStep.Vetted vetted, boolean dryRun) {
    Evaluation eval = vetted.evaluation();
    Loop loop = eval.shown();
    JsonObject result = new JsonObject()
        .put("decision_id", call.decisionId().toString())
        .put("outcome", eval.outcome().code())
        .put("loop", loop == null ? null : loop.name())
        .put("action", vetted.action());
    if (eval.variant() != null) {
      // The audit row's variant column (and learner_variants, for a selection that counts) is read from here.
      result.put("variant", eval.variant().key());
    }
    result
        .put("eligible_loops", eval.eligibleNames())
        .put("rationale", eval.rationale())
        .put("config_version", eval.configVersion());
    if (vetted.flagged()) {
      result.put("flagged", true);
    }
    if (dryRun) {
      result.put("dry_run", true);
    }
    return result.put("latency_ms", call.elapsedMillis());
  }

  /**
   * A selection that counts carries the guard: the learner's sequence it was decided on. A holdout's row names the
   * counterfactual loop but carries no guard, so it writes no exposure and counts toward no cap or cooldown.
   */
  private static DecisionRecord decisionRecord(Requests.Request request, JsonObject result, Evaluation eval,
      JsonObject features, LearnerStore.State known, boolean dryRun, Call call, EventRecord event, Instant now) {
    Loop loop = eval.chosen();
    Long guard = eval.shown() != null && !dryRun ? known.selectionSeq() : null;
    return new DecisionRecord(call.decisionId(), request.requestId(), request.method(), request.userId(),
        request.params(), result, eval.rationale(), features, loop == null ? null : loop.id(),
        result.getDouble("latency_ms"), event, guard, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
  }

  /**
   * Records the decision and then ends the learner's turn: a selection that counts is kept as if it were durable
   * already, so the learner's next call is decided on it (capped, cooling down) without waiting for this write. If the
   * write fails, the learner is forgotten and read again; a call decided meanwhile saw one selection too many, which
   * can only have made it show nothing where it might have shown a loop, never exceed a cap.
   */
  private Future<JsonObject> record(Requests.Request request, Decision decision, Call call, Promise<Void> turn) {
    if (call.expired()) {
      return Future.failedFuture(new RpcException(ErrorCodes.TIMEOUT,
          "Deadline passed before the decision was recorded; nothing was recorded"));
    }
    if (call.rehearsal()) {
      turn.tryComplete();
      return log.rehearse(decision.record()).map(decision.result());
    }
    DecisionRecord row = decision.record();
    if (row.guarded()) {
      recent.selected(row.userId(), row.guardSeq(), row.loopId(), row.decidedAt().toInstant(),
          row.outputResult().getString("variant"));
    }
    Future<Boolean> written = log.record(row).onComplete(done -> {
      if (!done.succeeded() || !done.result()) {
        recent.forget(row.userId());
      }
    });
    if (row.guarded()) {
      selecting.put(row.userId(), written);
      written.onComplete(done -> selecting.remove(row.userId(), written));
    }
    turn.tryComplete();
    return written.compose(inserted -> {
      if (inserted) {
        if (request.requestId() != null) {
          cache.putResult(request.requestId(), request.method(), request.params(), decision.result());
        }
        if (!call.expired()) {
          // Past the deadline the caller was answered in the orchestrator's place, and that answer was counted.
          published(request, decision);
        }
        return Future.succeededFuture(decision.result());
      }
      return replayStored(request);
    });
  }

  private void published(Requests.Request request, Decision decision) {
    DecisionRecord row = decision.record();
    if (row.event() != null) {
      metrics.event(row.event().eventType());
    }
    String loop = decision.result().getString("loop");
    LOG.debug("Decision recorded", kv("decision_id", row.decisionId()), kv("request_id", request.requestId()),
        kv("method", request.method()), kv("loop", loop), kv("latency_ms", row.latencyMs()));
    metrics.decision(request.method(), request.userId(), loop, decision.evaluation().outcome().code(),
        row.rationale(), row.latencyMs(), row.decisionId().toString());
    if (row.guarded()) {
      metrics.loopActivity().record(loop, LoopActivity.SELECTED);
    }
    for (Check check : decision.evaluation().checks()) {
      if (check.reason() == Reason.CAP_REACHED) {
        metrics.loopActivity().record(check.loop(), LoopActivity.CAP_REACHED);
      }
    }
  }

  /** The insert found the request_id or decision_id taken: answer as the first caller was answered. */
  private Future<JsonObject> replayStored(Requests.Request request) {
    if (request.requestId() == null) {
      return Future.failedFuture(alreadyAnswered());
    }
    return log.findByRequestId(request.requestId(), request.method(), request.params()).compose(stored -> {
      if (stored == null) {
        return Future.failedFuture(alreadyAnswered());
      }
      if (!stored.sameRequest()) {
        return Future.failedFuture(conflict(request));
      }
      return remember(request, stored);
    });
  }

  private Future<JsonObject> remember(Requests.Request request, StoredOutcome stored) {
    if (stored.errorCode() != null) {
      RpcException error = new RpcException(stored.errorCode(), stored.output().getString("message", "Error"));
      cache.putError(request.requestId(), request.method(), request.params(), error);
      return Future.failedFuture(error);
    }
    cache.putResult(request.requestId(), request.method(), request.params(), stored.output());
    return Future.succeededFuture(stored.output());
  }

  private static Future<JsonObject> replay(IdempotencyCache.Answer cached, Requests.Request request) {
    if (!cached.method().equals(request.method()) || !cached.params().equals(request.params())) {
      return Future.failedFuture(conflict(request));
    }
    return cached.error() != null ? Future.failedFuture(cached.error()) : Future.succeededFuture(cached.result());
  }

  private static RpcException conflict(Requests.Request request) {
    return conflict(request.requestId());
  }

  static RpcException conflict(String requestId) {
    return new RpcException(ErrorCodes.IDEMPOTENCY_CONFLICT,
        "Idempotency conflict: request_id was already used with a different method or params",
        new JsonObject().put("request_id", requestId));
  }

  private static RpcException alreadyAnswered() {
    return new RpcException(ErrorCodes.TIMEOUT,
        "The caller was already answered in the orchestrator's place; this decision was not recorded");
  }
}
