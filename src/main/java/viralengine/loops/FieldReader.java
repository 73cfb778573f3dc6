package viralengine.loops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.rpc.RpcException;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads one JSON object strictly: unknown fields, wrong types and out-of-range values are -32602 whose
 * {@code data.field} is the full path of the offending value (for example {@code loop.audience.min_age}).
 * A null value counts as absent.
 */
public final class FieldReader {
  /** A name the team types and the code compares: lower-case letters, digits and _, starting with a letter. */
  public static final Pattern SLUG = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  static final String SLUG_RULE = "must be a slug: a lower-case letter, then lower-case letters, digits or _ (at most 64)";
  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");
  private static final Pattern CONTROL_BUT_NEWLINE = Pattern.compile("[\\p{Cntrl}&&[^\\n\\t]]");

  private final JsonObject json;
  private final String prefix;

  private FieldReader(JsonObject json, String prefix) {
    this.json = json;
    this.prefix = prefix;
  }

  /** {@code value} must be a JSON object with no field outside {@code known}; {@code path} is "" for top-level params. */
  public static FieldReader of(Object value, String path, Set<String> known) {
    if (!(value instanceof JsonObject object)) {
      throw RpcException.invalidParams(path.isEmpty() ? "params" : path, "must be a JSON object");
    }
    for (String field : object.fieldNames()) {
      if (!known.contains(field)) {
        throw RpcException.invalidParams(join(path, field), "is not a known field (known: " + new TreeSet<>(known) + ")");
      }
    }
    return new FieldReader(object, path);
  }

  public String path(String field) {
    return join(prefix, field);
  }

  private static String join(String prefix, String field) {
    return prefix.isEmpty() ? field : prefix + "." + field;
  }

  public boolean has(String field) {
    return json.getValue(field) != null;
  }

  public Object raw(String field) {
    return json.getValue(field);
  }

  public RpcException invalid(String field, String reason) {
    return RpcException.invalidParams(path(field), reason);
  }

  /** A slug, or null when absent and not required. */
  public String slug(String field, boolean required) {
    Object value = present(field, required);
    if (value == null) {
      return null;
    }
    return slugAt(path(field), value);
  }

  static String slugAt(String path, Object value) {
    if (!(value instanceof String s) || !SLUG.matcher(s).matches()) {
      throw RpcException.invalidParams(path, SLUG_RULE);
    }
    return s;
  }

  /** Text of {@code min..max} characters without control characters (newlines and tabs allowed when multiline). */
  public String text(String field, int min, int max, boolean required, boolean multiline) {
    Object value = present(field, required);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw invalid(field, "must be a string");
    }
    if (s.length() < min || s.length() > max) {
      throw invalid(field, "must be " + min + " to " + max + " characters long");
    }
    if ((multiline ? CONTROL_BUT_NEWLINE : CONTROL).matcher(s).find()) {
      throw invalid(field, "must not contain control characters");
    }
    return s;
  }

  /** A whole number in {@code min..max}; {@code fallback} when absent (null: required). */
  public long whole(String field, long min, long max, Long fallback) {
    Object value = present(field, fallback == null);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw invalid(field, "must be a whole number");
    }
    if (n.doubleValue() < min || n.doubleValue() > max) {
      throw invalid(field, "must be from " + min + " to " + max);
    }
    return n.longValue();
  }

  /** A whole number, or null when absent. */
  public Long optionalWhole(String field, long min, long max) {
    return has(field) ? whole(field, min, max, null) : null;
  }

  public double number(String field, double min, double max, double fallback) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw invalid(field, "must be a number");
    }
    if (n.doubleValue() < min || n.doubleValue() > max) {
      throw invalid(field, "must be from " + min + " to " + max);
    }
    return n.doubleValue();
  }

  /** A boolean; {@code fallback} when absent (null: required). */
  public boolean bool(String field, Boolean fallback) {
    Object value = present(field, fallback == null);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      throw invalid(field, "must be true or false");
    }
    return b;
  }

  /** An array of at most {@code max} elements; empty when absent and not required. */
  public JsonArray array(String field, int max, boolean required) {
    Object value = present(field, required);
    if (value == null) {
      return new JsonArray();
    }
    if (!(value instanceof JsonArray array)) {
      throw invalid(field, "must be an array");
    }
    if (array.size() > max) {
      throw invalid(field, "must have at most " + max + " elements");
    }
    return array;
  }

  /** An object of at most {@code maxBytes} encoded; empty when absent and not required. */
  public JsonObject object(String field, int maxBytes, boolean required) {
    Object value = present(field, required);
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject object)) {
      throw invalid(field, "must be a JSON object");
    }
    if (object.encode().getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      throw invalid(field, "is larger than " + maxBytes + " bytes encoded");
    }
    return object;
  }

  private Object present(String field, boolean required) {
    Object value = json.getValue(field);
    if (value == null && required) {
      throw invalid(field, "is required");
    }
    return value;
  }
}
