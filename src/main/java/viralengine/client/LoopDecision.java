package viralengine.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The answer of {@code orchestrator.select_loop}. {@code loop} is null when no loop is chosen. {@code json}
 * is the whole reply, for fields added after this record.
 */
public record LoopDecision(String decisionId, String loop, List<String> eligibleLoops, String rationale, double latencyMs,
    JsonObject json) {

  static LoopDecision from(JsonObject reply) {
    JsonArray eligible = reply.getJsonArray("eligible_loops", new JsonArray());
    return new LoopDecision(reply.getString("decision_id"), reply.getString("loop"),
        eligible.stream().map(String::valueOf).toList(), reply.getString("rationale"), reply.getDouble("latency_ms", 0.0), reply);
  }
}
