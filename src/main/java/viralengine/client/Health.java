package viralengine.client;

import io.vertx.core.json.JsonObject;

/** The answer of {@code orchestrator.health}: {@code status} is {@code ok} or {@code degraded}; {@code json} is the whole body. */
public record Health(String status, String databaseMode, long pendingWrites, JsonObject json) {

  static Health from(JsonObject reply) {
    JsonObject database = reply.getJsonObject("database", new JsonObject());
    return new Health(reply.getString("status"), database.getString("mode"), reply.getLong("pending_writes", 0L), reply);
  }

  public boolean ok() {
    return "ok".equals(status);
  }
}
