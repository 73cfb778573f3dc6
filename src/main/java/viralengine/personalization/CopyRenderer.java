package viralengine.personalization;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.loops.CopyTemplates;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a loop action's per-persona {@code copy} (see {@link CopyTemplates}) with jmustache: values are inserted
 * HTML-escaped, a placeholder with no value renders empty, and each field is cut to its bound. Side-effect free and
 * fast (no I/O): the personalization agent uses it, and so may the orchestrator, in-process, as its fallback when the
 * agent is late or failing.
 */
public final class CopyRenderer {
  private CopyRenderer() {}

  /**
   * {@code {headline, body, cta, share_copy}} from the persona's copy, else the {@code default} copy; null when the
   * action has neither. Templates were validated when the loop was written; one that still fails renders as null.
   */
  public static JsonObject render(JsonObject loopAction, String persona, JsonObject learnerAttributes, JsonObject context,
      String loopDisplayName) {
    JsonObject texts = copyFor(loopAction, persona);
    if (texts == null) {
      return null;
    }
    Map<String, Object> scope = new LinkedHashMap<>();
    scope.put("learner", Map.of("attributes", plain(learnerAttributes)));
    scope.put("context", plain(context));
    scope.put("loop", Map.of("display_name", loopDisplayName == null ? "" : loopDisplayName));
    JsonObject rendered = new JsonObject();
    try {
      for (Map.Entry<String, Integer> field : CopyTemplates.FIELDS.entrySet()) {
        String template = texts.getValue(field.getKey()) instanceof String s ? s : "";
        rendered.put(field.getKey(), cut(CopyTemplates.COMPILER.compile(template).execute(scope), field.getValue()));
      }
    } catch (RuntimeException unrenderable) {
      return null;
    }
    return rendered;
  }

  /** The persona's copy, else the default one; null when there is none. */
  static JsonObject copyFor(JsonObject action, String persona) {
    if (action == null || !(action.getValue("copy") instanceof JsonObject copy)) {
      return null;
    }
    if (persona != null && !CopyTemplates.DEFAULT.equals(persona) && copy.getValue(persona) instanceof JsonObject own) {
      return own;
    }
    return copy.getValue(CopyTemplates.DEFAULT) instanceof JsonObject fallback ? fallback : null;
  }

  /** The action's own texts, cut to the bounds: what is shown when it has no copy. */
  public static JsonObject asStored(JsonObject action) {
    JsonObject texts = new JsonObject();
    for (Map.Entry<String, Integer> field : CopyTemplates.FIELDS.entrySet()) {
      Object value = action == null ? null : action.getValue(field.getKey());
      texts.put(field.getKey(), value instanceof String s ? cut(s, field.getValue()) : "");
    }
    return texts;
  }

  /**
   * At most {@code max} characters, never ending inside an escaped entity such as {@code &amp;} nor between the two
   * halves of a surrogate pair.
   */
  static String cut(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = max;
    int amp = text.lastIndexOf('&', end - 1);
    if (amp >= 0 && text.indexOf(';', amp) >= end) {
      end = amp;
    }
    if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end);
  }

  /** JSON as the maps and lists jmustache walks ({@code context.skill}); null is an empty map. */
  private static Map<String, Object> plain(JsonObject json) {
    Map<String, Object> map = new LinkedHashMap<>();
    if (json != null) {
      json.forEach(e -> map.put(e.getKey(), plainValue(e.getValue())));
    }
    return map;
  }

  private static Object plainValue(Object value) {
    if (value instanceof JsonObject object) {
      return plain(object);
    }
    if (value instanceof JsonArray array) {
      List<Object> list = new ArrayList<>();
      array.forEach(v -> list.add(plainValue(v)));
      return list;
    }
    return value == null ? "" : value;
  }
}
