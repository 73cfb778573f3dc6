package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.regex.Pattern;

/** Validated params of the orchestrator's methods. The HTTP edge and the event bus both parse with these. */
public final class Requests {
  public static final String TRIGGER_EVENT = "trigger_event";
  public static final String SELECT_LOOP = "select_loop";
  public static final String HEALTH = "health";

  static final int MAX_ID_LENGTH = 128;
  private static final Pattern EVENT_TYPE = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  private static final Set<String> TRIGGER_FIELDS = Set.of("event_type", "user_id", "request_id", "occurred_at", "context");
  private static final Set<String> SELECT_FIELDS = Set.of("user_id", "event_type", "context", "request_id");

  /** Size bounds for {@code context}. */
  public record Limits(int maxContextBytes, int maxContextDepth) {}

  /** Common shape: what idempotency and the decision log need from either method. */
  public sealed interface Request permits TriggerEvent, SelectLoop {
    String method();

    String requestId();

    String userId();

    JsonObject params();
  }

  public record TriggerEvent(String eventType, String userId, String requestId, OffsetDateTime occurredAt,
      JsonObject context, JsonObject params) implements Request {
    @Override
    public String method() {
      return TRIGGER_EVENT;
    }
  }

  public record SelectLoop(String userId, String eventType, String requestId, JsonObject context,
      JsonObject params) implements Request {
    @Override
    public String method() {
      return SELECT_LOOP;
    }
  }

  private Requests() {}

  /** Parses the params of {@code method}, or fails with -32601 for a method the orchestrator lacks. */
  public static Request parse(String method, JsonObject params, Limits limits, Instant now) {
    return switch (method) {
      case TRIGGER_EVENT -> triggerEvent(params, limits, now);
      case SELECT_LOOP -> selectLoop(params, limits);
      default -> throw new RpcException(ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + method,
          new JsonObject().put("methods", new JsonArray().add(TRIGGER_EVENT).add(SELECT_LOOP).add(HEALTH)));
    };
  }

  static TriggerEvent triggerEvent(JsonObject params, Limits limits, Instant now) {
    rejectUnknown(params, TRIGGER_FIELDS);
    String eventType = eventType(params, true);
    return new TriggerEvent(eventType, userId(params), requestId(params),
        Params.optionalTimestamp(params, "occurred_at", now), context(params, limits), params);
  }

  static SelectLoop selectLoop(JsonObject params, Limits limits) {
    rejectUnknown(params, SELECT_FIELDS);
    return new SelectLoop(userId(params), eventType(params, false), requestId(params), context(params, limits), params);
  }

  private static String eventType(JsonObject params, boolean required) {
    String type = required
        ? Params.requiredString(params, "event_type", 64, EVENT_TYPE, "lower-case letters, digits and _")
        : Params.optionalString(params, "event_type", 64, EVENT_TYPE, "lower-case letters, digits and _");
    if (type != null && !EventTypes.ALL.contains(type)) {
      throw new RpcException(ErrorCodes.INVALID_PARAMS, "Invalid params: unknown event_type '" + type + "'",
          new JsonObject().put("field", "event_type").put("reason", "unknown event type")
              .put("accepted", new JsonArray(EventTypes.ALL)));
    }
    return type;
  }

  private static String userId(JsonObject params) {
    return Params.requiredString(params, "user_id", MAX_ID_LENGTH, Params.VISIBLE_ASCII, "visible ASCII characters (no spaces)");
  }

  private static String requestId(JsonObject params) {
    return Params.optionalString(params, "request_id", MAX_ID_LENGTH, Params.VISIBLE_ASCII, "visible ASCII characters (no spaces)");
  }

  private static JsonObject context(JsonObject params, Limits limits) {
    return Params.optionalObject(params, "context", limits.maxContextBytes(), limits.maxContextDepth());
  }

  private static void rejectUnknown(JsonObject params, Set<String> known) {
    for (String field : params.fieldNames()) {
      if (!known.contains(field)) {
        throw RpcException.invalidParams(field, "is not a known param (known: " + known.stream().sorted().toList() + ")");
      }
    }
  }
}
