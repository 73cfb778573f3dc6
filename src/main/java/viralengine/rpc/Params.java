package viralengine.rpc;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Pattern;

/** Field validators for named params. Each failure is -32602 with {@code data: {field, reason}}. */
public final class Params {
  /** Printable ASCII without spaces: safe in logs, URLs and SQL text, and unambiguous to compare. */
  public static final Pattern VISIBLE_ASCII = Pattern.compile("[\\x21-\\x7E]+");
  static final Duration MAX_FUTURE_SKEW = Duration.ofMinutes(5);
  static final Duration MAX_AGE = Duration.ofDays(365);

  private Params() {}

  public static String requiredString(JsonObject params, String field, int maxLength, Pattern charset, String charsetName) {
    String value = optionalString(params, field, maxLength, charset, charsetName);
    if (value == null) {
      throw RpcException.invalidParams(field, "is required");
    }
    return value;
  }

  public static String optionalString(JsonObject params, String field, int maxLength, Pattern charset, String charsetName) {
    Object value = params.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw RpcException.invalidParams(field, "must be a string");
    }
    if (s.isEmpty() || s.length() > maxLength) {
      throw RpcException.invalidParams(field, "must be 1 to " + maxLength + " characters long");
    }
    if (!charset.matcher(s).matches()) {
      throw RpcException.invalidParams(field, "must contain only " + charsetName);
    }
    return s;
  }

  /** Free text a person wrote (a reason, a note): required, not blank, at most {@code maxLength} characters. */
  public static String requiredText(JsonObject params, String field, int maxLength) {
    Object value = params.getValue(field);
    if (!(value instanceof String text) || text.isBlank() || text.length() > maxLength) {
      throw RpcException.invalidParams(field, "is required: a string of 1 to " + maxLength + " characters");
    }
    return text;
  }

  /** A learner's id as every agent takes it: 1 to 128 visible ASCII characters. */
  public static String userId(JsonObject params, String field) {
    return requiredString(params, field, 128, VISIBLE_ASCII, "visible ASCII characters");
  }

  /** An ISO-8601 timestamp with an offset, at most 5 minutes ahead of {@code now} and at most a year old. */
  public static OffsetDateTime optionalTimestamp(JsonObject params, String field, Instant now) {
    Object value = params.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s) || s.length() > 64) {
      throw RpcException.invalidParams(field, "must be an ISO-8601 timestamp string such as 2026-11-25T10:15:30Z");
    }
    OffsetDateTime time;
    try {
      time = OffsetDateTime.parse(s);
    } catch (DateTimeParseException e) {
      throw RpcException.invalidParams(field, "must be an ISO-8601 timestamp with an offset, such as 2026-11-25T10:15:30Z");
    }
    Instant instant = time.toInstant();
    if (instant.isAfter(now.plus(MAX_FUTURE_SKEW))) {
      throw RpcException.invalidParams(field, "lies more than 5 minutes in the future");
    }
    if (instant.isBefore(now.minus(MAX_AGE))) {
      throw RpcException.invalidParams(field, "lies more than 365 days in the past");
    }
    return time;
  }

  /** An optional JSON object bounded in encoded size and nesting depth; absent means empty. */
  public static JsonObject optionalObject(JsonObject params, String field, int maxBytes, int maxDepth) {
    Object value = params.getValue(field);
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject object)) {
      throw RpcException.invalidParams(field, "must be a JSON object");
    }
    if (depth(object) > maxDepth) {
      throw RpcException.invalidParams(field, "nests deeper than " + maxDepth + " levels");
    }
    if (object.encode().getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      throw RpcException.invalidParams(field, "is larger than " + maxBytes + " bytes");
    }
    return object;
  }

  static int depth(Object value) {
    int deepest = 0;
    if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> entry : object) {
        deepest = Math.max(deepest, depth(entry.getValue()));
      }
      return deepest + 1;
    }
    if (value instanceof JsonArray array) {
      for (Object element : array) {
        deepest = Math.max(deepest, depth(element));
      }
      return deepest + 1;
    }
    return 0;
  }

  /** An optional integer within [min, max]; null when absent. */
  public static Integer optionalInt(JsonObject params, String field, int min, int max) {
    Object value = params.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() < min || n.doubleValue() > max) {
      throw RpcException.invalidParams(field, "must be a whole number from " + min + " to " + max);
    }
    return n.intValue();
  }

  /** An optional boolean; null when absent. */
  public static Boolean optionalBoolean(JsonObject params, String field) {
    Object value = params.getValue(field);
    if (value != null && !(value instanceof Boolean)) {
      throw RpcException.invalidParams(field, "must be true or false");
    }
    return (Boolean) value;
  }

  /** An optional string that must be one of {@code allowed}; null when absent. */
  public static String optionalOneOf(JsonObject params, String field, java.util.List<String> allowed) {
    Object value = params.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s) || !allowed.contains(s)) {
      throw RpcException.invalidParams(field, "must be one of " + allowed);
    }
    return s;
  }

  /** A required UUID in its canonical text form. */
  public static java.util.UUID requiredUuid(JsonObject params, String field) {
    Object value = params.getValue(field);
    if (value == null) {
      throw RpcException.invalidParams(field, "is required");
    }
    if (value instanceof String s && s.length() == 36) {
      try {
        return java.util.UUID.fromString(s);
      } catch (IllegalArgumentException ignored) {
        // falls through to the error below
      }
    }
    throw RpcException.invalidParams(field, "must be a UUID such as 0192f4c1-7d8e-7a3b-9c1d-2e3f4a5b6c7d");
  }
}
