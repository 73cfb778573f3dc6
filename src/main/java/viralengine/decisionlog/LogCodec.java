package viralengine.decisionlog;

import io.vertx.core.json.JsonObject;
import viralengine.store.DecisionRecord;
import viralengine.store.EventRecord;
import viralengine.store.FallbackRecord;

import java.time.OffsetDateTime;
import java.util.UUID;

/** Decisions and fallbacks as JSON, for the spool. Every field round-trips exactly. */
final class LogCodec {
  static final String KIND = "kind";
  static final String DECISION = "decision";
  static final String FALLBACK = "fallback";

  private LogCodec() {}

  static JsonObject encode(Object entry) {
    if (entry instanceof DecisionRecord d) {
      return new JsonObject().put(KIND, DECISION)
          .put("decision_id", d.decisionId().toString()).put("request_id", d.requestId()).put("method", d.method())
          .put("user_id", d.userId()).put("input_params", d.inputParams()).put("output_result", d.outputResult())
          .put("rationale", d.rationale()).put("features_used", d.featuresUsed()).put("loop_id", d.loopId())
          .put("latency_ms", d.latencyMs()).put("event", d.event() == null ? null : encodeEvent(d.event()))
          .put("guard_seq", d.guardSeq()).put("decided_at", d.decidedAt() == null ? null : d.decidedAt().toString());
    }
    FallbackRecord f = (FallbackRecord) entry;
    return new JsonObject().put(KIND, FALLBACK)
        .put("decision_id", f.decisionId().toString()).put("request_id", f.requestId()).put("method", f.method())
        .put("params", f.params()).put("output", f.output()).put("rationale", f.rationale())
        .put("features", f.features()).put("latency_ms", f.latencyMs()).put("error_code", f.errorCode())
        .put("event", f.event() == null ? null : encodeEvent(f.event()));
  }

  static Object decode(JsonObject json) {
    UUID decisionId = UUID.fromString(json.getString("decision_id"));
    if (DECISION.equals(json.getString(KIND))) {
      JsonObject event = json.getJsonObject("event");
      return new DecisionRecord(decisionId, json.getString("request_id"), json.getString("method"), json.getString("user_id"),
          json.getJsonObject("input_params"), json.getJsonObject("output_result"), json.getString("rationale"),
          json.getJsonObject("features_used"), json.getLong("loop_id"), json.getDouble("latency_ms"),
          event == null ? null : decodeEvent(event), json.getLong("guard_seq"),
          json.getString("decided_at") == null ? null : OffsetDateTime.parse(json.getString("decided_at")));
    }
    return new FallbackRecord(decisionId, json.getString("request_id"), json.getString("method"), json.getJsonObject("params"),
        json.getJsonObject("output"), json.getString("rationale"), json.getJsonObject("features"),
        json.getDouble("latency_ms"), json.getInteger("error_code"),
        json.getJsonObject("event") == null ? null : decodeEvent(json.getJsonObject("event")));
  }

  private static JsonObject encodeEvent(EventRecord e) {
    return new JsonObject().put("event_id", e.eventId().toString()).put("event_type", e.eventType())
        .put("user_id", e.userId()).put("occurred_at", e.occurredAt().toString())
        .put("received_at", e.receivedAt().toString()).put("context", e.context());
  }

  private static EventRecord decodeEvent(JsonObject e) {
    return new EventRecord(UUID.fromString(e.getString("event_id")), e.getString("event_type"), e.getString("user_id"),
        OffsetDateTime.parse(e.getString("occurred_at")), OffsetDateTime.parse(e.getString("received_at")),
        e.getJsonObject("context"));
  }
}
