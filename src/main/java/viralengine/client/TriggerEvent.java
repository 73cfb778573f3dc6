package viralengine.client;

import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * The params of {@code orchestrator.trigger_event}. {@code eventType} and {@code userId} are required; the
 * rest may be null. The orchestrator validates every field and answers -32602 naming the one it refuses.
 */
public record TriggerEvent(String eventType, String userId, String requestId, OffsetDateTime occurredAt, JsonObject context) {
  public TriggerEvent {
    Objects.requireNonNull(eventType, "eventType is required");
    Objects.requireNonNull(userId, "userId is required");
  }

  public static TriggerEvent of(String eventType, String userId) {
    return new TriggerEvent(eventType, userId, null, null, null);
  }

  /** The same event with a {@code request_id}, which makes retries safe. */
  public TriggerEvent withRequestId(String id) {
    return new TriggerEvent(eventType, userId, id, occurredAt, context);
  }

  public TriggerEvent withContext(JsonObject value) {
    return new TriggerEvent(eventType, userId, requestId, occurredAt, value);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("event_type", eventType).put("user_id", userId);
    if (requestId != null) {
      json.put("request_id", requestId);
    }
    if (occurredAt != null) {
      json.put("occurred_at", occurredAt.toString());
    }
    if (context != null) {
      json.put("context", context);
    }
    return json;
  }
}
