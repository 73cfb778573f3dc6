package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import viralengine.loops.ViralLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.metrics.ServiceMetrics;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.store.DecisionRecord;
import viralengine.decisionlog.DecisionLog;
import viralengine.store.EventRecord;
import viralengine.store.StoredOutcome;

import java.util.List;

import static net.logstash.logback.argument.StructuredArguments.kv;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The decision logic: route the event, run the eligibility checks, record the decision, and answer
 * repeated request_ids with the original answer.
 */
final class Orchestrator {
  private static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);
  private final DecisionLog log;
  private final Eligibility eligibility;
  private final EventRouter router = new EventRouter();
  private final IdempotencyCache cache;
  private final Supplier<List<ViralLoop>> loops;
  private final ServiceMetrics metrics;

  Orchestrator(DecisionLog log, Eligibility eligibility, IdempotencyCache cache, Supplier<List<ViralLoop>> loops,
      ServiceMetrics metrics) {
    this.log = log;
    this.eligibility = eligibility;
    this.cache = cache;
    this.loops = loops;
    this.metrics = metrics;
  }

  /** A decision ready to record: the caller's result and the audit row. */
  private record Decision(JsonObject result, DecisionRecord record) {}

  Future<JsonObject> handle(Requests.Request request, Call call) {
    if (request.requestId() != null) {
      IdempotencyCache.Answer cached = cache.get(request.requestId());
      metrics.cache(cached != null);
      if (cached != null) {
        return replay(cached, request);
      }
    }
    return decide(request, call).compose(decision -> record(request, decision, call));
  }

  int cacheSize() {
    return cache.size();
  }

  private Future<Decision> decide(Requests.Request request, Call call) {
    if (request instanceof Requests.TriggerEvent event) {
      return eligibility.evaluate(event.userId(), event.eventType(), loops.get())
          .map(eval -> triggerDecision(event, eval, call));
    }
    Requests.SelectLoop select = (Requests.SelectLoop) request;
    return eligibility.evaluate(select.userId(), select.eventType(), loops.get())
        .map(eval -> selectDecision(select, eval, call));
  }

  private Decision triggerDecision(Requests.TriggerEvent event, Eligibility.Evaluation eval, Call call) {
    EventHandler handler = router.route(event.eventType());
    String action = handler.handle(event);
    UUID eventId = UUID.randomUUID();
    ViralLoop loop = eval.selected();
    double latency = call.elapsedMillis();
    JsonObject result = new JsonObject()
        .put("decision_id", call.decisionId().toString())
        .put("event_id", eventId.toString())
        .put("event_type", event.eventType())
        .put("handler", handler.name())
        .put("action", action)
        .put("loop", loop == null ? null : loop.name())
        .put("rationale", eval.rationale())
        .put("latency_ms", latency);
    EventRecord row = new EventRecord(eventId, event.eventType(), event.userId(),
        event.occurredAt() == null ? call.receivedAt() : event.occurredAt(), call.receivedAt(), event.context());
    JsonObject features = eval.features().put("handler", handler.name()).put("action", action);
    return new Decision(result, decisionRecord(event, result, eval, features, loop, latency, call, row));
  }

  private Decision selectDecision(Requests.SelectLoop request, Eligibility.Evaluation eval, Call call) {
    ViralLoop loop = eval.selected();
    double latency = call.elapsedMillis();
    JsonObject result = new JsonObject()
        .put("decision_id", call.decisionId().toString())
        .put("loop", loop == null ? null : loop.name())
        .put("eligible_loops", eval.eligibleNames())
        .put("rationale", eval.rationale())
        .put("latency_ms", latency);
    return new Decision(result, decisionRecord(request, result, eval, eval.features(), loop, latency, call, null));
  }

  private static DecisionRecord decisionRecord(Requests.Request request, JsonObject result, Eligibility.Evaluation eval,
      JsonObject features, ViralLoop loop, double latency, Call call, EventRecord event) {
    return new DecisionRecord(call.decisionId(), request.requestId(), request.method(), request.userId(),
        request.params(), result, eval.rationale(), features, loop == null ? null : loop.id(), latency, event);
  }

  private Future<JsonObject> record(Requests.Request request, Decision decision, Call call) {
    if (call.expired()) {
      return Future.failedFuture(new RpcException(ErrorCodes.TIMEOUT,
          "Deadline passed before the decision was recorded; nothing was recorded"));
    }
    return log.record(decision.record()).compose(inserted -> {
      if (inserted) {
        if (request.requestId() != null) {
          cache.putResult(request.requestId(), request.method(), request.params(), decision.result());
        }
        published(request, decision);
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
    metrics.decision(request.method(), request.userId(), loop,
        loop == null ? ServiceMetrics.OUTCOME_NO_LOOP : ServiceMetrics.OUTCOME_SELECTED,
        row.rationale(), row.latencyMs(), row.decisionId().toString());
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
    return new RpcException(ErrorCodes.IDEMPOTENCY_CONFLICT,
        "Idempotency conflict: request_id was already used with a different method or params",
        new JsonObject().put("request_id", request.requestId()));
  }

  private static RpcException alreadyAnswered() {
    return new RpcException(ErrorCodes.TIMEOUT,
        "The caller was already answered in the orchestrator's place; this decision was not recorded");
  }
}
