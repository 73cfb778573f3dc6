package viralengine.targeting;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A targeting condition in the style of GrowthBook and MongoDB, parsed and validated once (when a loop is
 * written or loaded) and then evaluated against a learner's attributes on every decision.
 *
 * <p>Semantics, pinned by {@code decisioning-cases.json}: top-level keys are AND-ed; a bare value means
 * {@code $eq}; numbers compare by value and strings with strings, never a string with a number; a missing
 * (or null) attribute fails every comparison except {@code $exists: false} and {@code $ne}.
 */
public final class Condition {
  /** Nesting depth of documents ($and/$or/$not inside each other). */
  static final int MAX_DEPTH = 8;
  /** Operators and values in one document, all levels together. */
  static final int MAX_NODES = 256;
  static final Set<String> ROOTS = Set.of("context", "learner", "event_type");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_]{1,64}");

  /** One node of the parsed document: null when it matches, else the path that failed. */
  private interface Node {
    String fail(JsonObject attributes);
  }

  private static final Condition ALWAYS = new Condition(attributes -> null);

  private final Node root;

  private Condition(Node root) {
    this.root = root;
  }

  /** Parses and validates {@code document}; throws {@link InvalidCondition} naming the bad path. */
  public static Condition parse(JsonObject document) {
    if (document == null || document.isEmpty()) {
      return ALWAYS;
    }
    return new Condition(new Parser().document(document, "", 1));
  }

  /** True when the attributes satisfy the condition. */
  public boolean matches(JsonObject attributes) {
    return root.fail(attributes) == null;
  }

  /** The path of the first failing comparison, or null when the attributes satisfy the condition. */
  public String failingPath(JsonObject attributes) {
    return root.fail(attributes);
  }

  private static final class Parser {
    private int nodes;

    Node document(JsonObject doc, String at, int depth) {
      if (depth > MAX_DEPTH) {
        throw new InvalidCondition(at, "nests deeper than " + MAX_DEPTH + " levels"); // at is never "" below the top
      }
      List<Node> all = new ArrayList<>(doc.size());
      for (Map.Entry<String, Object> entry : doc) {
        count(at);
        String key = entry.getKey();
        String where = at.isEmpty() ? key : at + "." + key;
        all.add(key.startsWith("$") ? logical(key, where, entry.getValue(), depth) : path(key, where, entry.getValue()));
      }
      return and(all);
    }

    /** {@code where} is the operator's place in the whole document, e.g. {@code $and[1].$or}, for errors. */
    private Node logical(String op, String where, Object value, int depth) {
      switch (op) {
        case "$and", "$or" -> {
          if (!(value instanceof JsonArray array) || array.isEmpty()) {
            throw new InvalidCondition(where, "takes a non-empty array of condition documents");
          }
          List<Node> branches = new ArrayList<>(array.size());
          for (int i = 0; i < array.size(); i++) {
            if (!(array.getValue(i) instanceof JsonObject branch)) {
              throw new InvalidCondition(where + "[" + i + "]", "must be a condition document");
            }
            branches.add(document(branch, where + "[" + i + "]", depth + 1));
          }
          return op.equals("$and") ? and(branches) : or(branches);
        }
        case "$not" -> {
          if (!(value instanceof JsonObject inner)) {
            throw new InvalidCondition(where, "takes a condition document");
          }
          Node negated = document(inner, where, depth + 1);
          return attributes -> negated.fail(attributes) == null ? "$not" : null;
        }
        default -> throw new InvalidCondition(where, "is not a known operator (known: $and, $or, $not at the top level)");
      }
    }

    /** {@code where} is the path's place in the whole document (it differs from {@code path} inside $and/$or/$not). */
    private Node path(String path, String where, Object value) {
      String[] segments = validPath(path, where);
      if (value instanceof JsonObject ops && !ops.isEmpty() && ops.fieldNames().stream().anyMatch(k -> k.startsWith("$"))) {
        List<Node> all = new ArrayList<>(ops.size());
        for (Map.Entry<String, Object> op : ops) {
          count(where);
          all.add(operator(path, segments, where + "." + op.getKey(), op.getKey(), op.getValue()));
        }
        return and(all);
      }
      return operator(path, segments, where + ".$eq", "$eq", value);
    }

    private static String[] validPath(String path, String where) {
      String[] segments = path.split("\\.", -1);
      for (String segment : segments) {
        if (!SEGMENT.matcher(segment).matches()) {
          throw new InvalidCondition(where, "is not an attribute path (dot-separated names of letters, digits and _)");
        }
      }
      if (!ROOTS.contains(segments[0])) {
        throw new InvalidCondition(where, "must start with one of " + ROOTS.stream().sorted().toList());
      }
      return segments;
    }

    private Node operator(String path, String[] segments, String at, String op, Object operand) {
      Comparison test = switch (op) {
        case "$eq" -> (present, v) -> present && same(v, operand);
        case "$ne" -> (present, v) -> !present || !same(v, operand);
        case "$in" -> {
          JsonArray set = array(at, operand);
          yield (present, v) -> present && contains(set, v);
        }
        case "$nin" -> {
          JsonArray set = array(at, operand);
          yield (present, v) -> present && !contains(set, v);
        }
        case "$gt", "$gte", "$lt", "$lte" -> ordering(at, op, operand);
        case "$exists" -> {
          if (!(operand instanceof Boolean wanted)) {
            throw new InvalidCondition(at, "takes true or false");
          }
          yield (present, v) -> present == wanted;
        }
        default -> throw new InvalidCondition(at, "is not a known operator"
            + " (known: $eq $ne $in $nin $gt $gte $lt $lte $exists, and $and $or $not at document level)");
      };
      if (operand instanceof JsonObject || operand instanceof JsonArray && !op.endsWith("in")) {
        throw new InvalidCondition(at, "compares with a number, string, boolean or null, not an object or array");
      }
      return attributes -> {
        Object v = resolve(attributes, segments);
        return test.holds(v != null, v) ? null : path;
      };
    }

    private static Comparison ordering(String at, String op, Object operand) {
      if (!(operand instanceof Number) && !(operand instanceof String)) {
        throw new InvalidCondition(at, "compares with a number or a string");
      }
      return (present, v) -> {
        Integer order = present ? order(v, operand) : null;
        if (order == null) {
          return false;
        }
        return switch (op) {
          case "$gt" -> order > 0;
          case "$gte" -> order >= 0;
          case "$lt" -> order < 0;
          default -> order <= 0;
        };
      };
    }

    /** A set for $in/$nin; its values count toward {@link #MAX_NODES}, since each costs a comparison per decision. */
    private JsonArray array(String at, Object operand) {
      if (!(operand instanceof JsonArray set)) {
        throw new InvalidCondition(at, "takes an array of values");
      }
      for (int i = 0; i < set.size(); i++) {
        count(at);
      }
      return set;
    }

    private void count(String at) {
      if (++nodes > MAX_NODES) {
        throw new InvalidCondition(at.isEmpty() ? "$" : at, "has more than " + MAX_NODES + " keys and $in/$nin values in all");
      }
    }
  }

  @FunctionalInterface
  private interface Comparison {
    boolean holds(boolean present, Object value);
  }

  private static Node and(List<Node> all) {
    if (all.size() == 1) {
      return all.get(0);
    }
    return attributes -> {
      for (Node node : all) {
        String failed = node.fail(attributes);
        if (failed != null) {
          return failed;
        }
      }
      return null;
    };
  }

  private static Node or(List<Node> any) {
    return attributes -> {
      for (Node node : any) {
        if (node.fail(attributes) == null) {
          return null;
        }
      }
      return "$or";
    };
  }

  /** The attribute at the path; null when any segment is missing or null. */
  static Object resolve(JsonObject attributes, String[] segments) {
    Object current = attributes;
    for (String segment : segments) {
      if (!(current instanceof JsonObject object)) {
        return null;
      }
      current = object.getValue(segment);
    }
    return current;
  }

  private static boolean contains(JsonArray set, Object value) {
    for (Object candidate : set) {
      if (same(value, candidate)) {
        return true;
      }
    }
    return false;
  }

  /** Equality where numbers compare by value and no other type ever equals a number. */
  static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      Integer order = compare(x, y);
      return order != null && order == 0;
    }
    if (a instanceof Number || b instanceof Number) {
      return false;
    }
    return Objects.equals(a, b);
  }

  /** Sign of a minus b for two numbers or two strings; null when they do not compare. */
  static Integer order(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return compare(x, y);
    }
    if (a instanceof String x && b instanceof String y) {
      return Integer.signum(x.compareTo(y));
    }
    return null;
  }

  /**
   * Sign of x minus y by exact value (a long beyond 2^53 still differs from the nearest double); null when
   * either is NaN, which compares with nothing. Infinities have no decimal form, so they compare as doubles.
   */
  private static Integer compare(Number x, Number y) {
    if (nonFinite(x) || nonFinite(y)) {
      double dx = x.doubleValue();
      double dy = y.doubleValue();
      return Double.isNaN(dx) || Double.isNaN(dy) ? null : Integer.signum(Double.compare(dx, dy));
    }
    return Integer.signum(decimal(x).compareTo(decimal(y)));
  }

  private static boolean nonFinite(Number n) {
    return (n instanceof Double || n instanceof Float) && !Double.isFinite(n.doubleValue());
  }

  private static BigDecimal decimal(Number n) {
    return n instanceof BigDecimal d ? d : new BigDecimal(n.toString());
  }
}
