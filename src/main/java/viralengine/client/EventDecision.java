package viralengine.client;

import io.vertx.core.json.JsonObject;

/**
 * The answer of {@code orchestrator.trigger_event}. {@code loop} is null when no loop fires. {@code json}
 * is the whole reply, for fields added after this record (later phases add some).
 */
public record EventDecision(String decisionId, String eventId, String eventType, String handler, String action,
    String loop, String rationale, double latencyMs, JsonObject json) {

  static EventDecision from(JsonObject reply) {
    return new EventDecision(reply.getString("decision_id"), reply.getString("event_id"), reply.getString("event_type"),
        reply.getString("handler"), reply.getString("action"), reply.getString("loop"), reply.getString("rationale"),
        reply.getDouble("latency_ms", 0.0), reply);
  }
}
