package viralengine.client;

import io.vertx.core.json.JsonObject;

import java.util.Objects;

/** The params of {@code orchestrator.select_loop}. {@code userId} is required; the rest may be null. */
public record SelectLoop(String userId, String eventType, String requestId, JsonObject context) {
  public SelectLoop {
    Objects.requireNonNull(userId, "userId is required");
  }

  public static SelectLoop forUser(String userId) {
    return new SelectLoop(userId, null, null, null);
  }

  public SelectLoop withEventType(String value) {
    return new SelectLoop(userId, value, requestId, context);
  }

  public SelectLoop withRequestId(String value) {
    return new SelectLoop(userId, eventType, value, context);
  }

  public SelectLoop withContext(JsonObject value) {
    return new SelectLoop(userId, eventType, requestId, value);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("user_id", userId);
    if (eventType != null) {
      json.put("event_type", eventType);
    }
    if (requestId != null) {
      json.put("request_id", requestId);
    }
    if (context != null) {
      json.put("context", context);
    }
    return json;
  }
}
