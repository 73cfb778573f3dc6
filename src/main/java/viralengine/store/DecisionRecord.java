package viralengine.store;

import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A row of {@code agent_decisions}, plus the event it records (trigger_event only).
 *
 * @param guardSeq for a selection that counts toward caps: the learner's {@code selection_seq} the decision was
 *     made on. The row goes in only if that is still the learner's sequence (see {@link DecisionStore}); it also
 *     writes the exposure. Null for decisions that select nothing, dry runs, and replayed rows.
 * @param decidedAt the decision's clock time: when the exposure counts from; null means the database's now()
 */
public record DecisionRecord(
    UUID decisionId,
    String requestId,
    String method,
    String userId,
    JsonObject inputParams,
    JsonObject outputResult,
    String rationale,
    JsonObject featuresUsed,
    Long loopId,
    double latencyMs,
    EventRecord event,
    Long guardSeq,
    OffsetDateTime decidedAt) {

  /** A row that selects nothing that counts (no guard, no exposure). */
  public DecisionRecord(UUID decisionId, String requestId, String method, String userId, JsonObject inputParams,
      JsonObject outputResult, String rationale, JsonObject featuresUsed, Long loopId, double latencyMs, EventRecord event) {
    this(decisionId, requestId, method, userId, inputParams, outputResult, rationale, featuresUsed, loopId, latencyMs,
        event, null, null);
  }

  public boolean guarded() {
    return guardSeq != null;
  }
}
