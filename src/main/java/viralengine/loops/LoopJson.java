package viralengine.loops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.api.EventTypes;
import viralengine.frequency.Period;
import viralengine.rpc.RpcException;
import viralengine.targeting.Condition;
import viralengine.targeting.InvalidCondition;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A {@link Loop} as JSON: the form the admin agent reads and writes, the audit trail stores and
 * {@code viral_loops} is read back in. Parsing is strict; every problem is -32602 naming its path, such as
 * {@code loop.triggers[1]} or {@code loop.targeting.context.score.$regex}.
 */
public final class LoopJson {
  public static final Set<String> PERSONAS = Set.of("student", "parent", "tutor");
  static final int MAX_DISPLAY_NAME = 100;
  static final int MAX_DESCRIPTION = 1_000;
  static final int MAX_GROUPS = 16;
  static final int MAX_TARGETING_BYTES = 8_192;
  public static final int MAX_ACTION_BYTES = 8_192;
  static final int MAX_PRIORITY = 1_000_000;
  static final double MAX_EXPECTED_K = 100;
  /** The same ten years a rolling frequency window may span; fits the integer columns. */
  static final long MAX_COOLDOWN_SECONDS = Period.MAX_ROLLING_SECONDS;
  static final int MAX_AGE = 150;
  public static final int MAX_VARIANTS = 16;
  public static final double MAX_WEIGHT = 1_000_000;
  /** A guardrail's bound is a difference of two shares of learners. */
  public static final double MAX_GUARDRAIL_INCREASE = 1;

  private static final Set<String> FIELDS = Set.of("name", "display_name", "description", "active", "triggers",
      "priority", "expected_k", "groups", "audience", "targeting", "cooldown_seconds", "dismiss_cooldown_seconds",
      "action", "variants", "version", "incentive", "guardrails");
  private static final Set<String> INCENTIVE_FIELDS = Set.of("referrer", "joiner");
  private static final Set<String> VARIANT_FIELDS = Set.of("key", "weight", "action");
  private static final Set<String> GUARDRAIL_FIELDS = Set.of("metric", "max_increase");
  private static final Set<String> AUDIENCE_FIELDS = Set.of("min_age", "max_age", "personas", "requires_parental_consent");

  private LoopJson() {}

  /**
   * A loop as a caller writes it, at {@code path} (e.g. {@code "loop"}). {@code version} is assigned by the
   * server, so it is refused here; id and version of the result are 0.
   */
  public static Loop parse(Object json, String path) {
    FieldReader in = FieldReader.of(json, path, FIELDS);
    if (in.has("version")) {
      throw in.invalid("version", "is assigned by the server; send the version you read as expected_version");
    }
    return read(in, 0, 0);
  }

  /** A loop as stored: the same fields plus {@code id} and {@code version}. */
  public static Loop fromStored(JsonObject stored) {
    JsonObject copy = stored.copy();
    long id = ((Number) copy.remove("id")).longValue();
    long version = ((Number) copy.remove("version")).longValue();
    return read(FieldReader.of(copy, "loop", FIELDS), id, version);
  }

  private static Loop read(FieldReader in, long id, long version) {
    JsonObject targeting = in.object("targeting", MAX_TARGETING_BYTES, false);
    return new Loop(id,
        in.slug("name", true),
        in.text("display_name", 1, MAX_DISPLAY_NAME, true, false),
        orEmpty(in.text("description", 0, MAX_DESCRIPTION, false, true)),
        in.bool("active", false),
        triggers(in),
        (int) in.whole("priority", -MAX_PRIORITY, MAX_PRIORITY, 0L),
        in.number("expected_k", 0, MAX_EXPECTED_K, 0),
        slugs(in, "groups", MAX_GROUPS),
        audience(in),
        targeting,
        condition(in, targeting),
        in.whole("cooldown_seconds", 0, MAX_COOLDOWN_SECONDS, 0L),
        in.whole("dismiss_cooldown_seconds", 0, MAX_COOLDOWN_SECONDS, 0L),
        action(in, "action"),
        variants(in),
        version,
        incentive(in),
        guardrails(in));
  }

  /** The JSON form, without the internal id. */
  public static JsonObject toJson(Loop loop) {
    Loop.Audience a = loop.audience();
    JsonObject audience = new JsonObject();
    if (a.minAge() != null) {
      audience.put("min_age", a.minAge());
    }
    if (a.maxAge() != null) {
      audience.put("max_age", a.maxAge());
    }
    if (!a.personas().isEmpty()) {
      audience.put("personas", new JsonArray(a.personas()));
    }
    audience.put("requires_parental_consent", a.requiresParentalConsent());
    JsonObject json = new JsonObject()
        .put("name", loop.name())
        .put("display_name", loop.displayName())
        .put("description", loop.description())
        .put("active", loop.active())
        .put("triggers", new JsonArray(loop.triggers()))
        .put("priority", loop.priority())
        .put("expected_k", loop.expectedK())
        .put("groups", new JsonArray(loop.groups()))
        .put("audience", audience)
        .put("targeting", loop.targetingDocument().copy())
        .put("cooldown_seconds", loop.cooldownSeconds())
        .put("dismiss_cooldown_seconds", loop.dismissCooldownSeconds())
        .put("action", loop.action().copy())
        .put("variants", variantsJson(loop.variants()))
        .put("guardrails", guardrailsJson(loop.guardrails()))
        .put("version", loop.version());
    if (!loop.incentive().isNone()) {
      json.put("incentive", incentiveJson(loop.incentive()));
    }
    return json;
  }

  /** Optional {@code {referrer?, joiner?}}: reward type names (the admin agent checks that each type exists). */
  private static Loop.Incentive incentive(FieldReader loop) {
    if (!loop.has("incentive")) {
      return Loop.Incentive.NONE;
    }
    FieldReader in = FieldReader.of(loop.raw("incentive"), loop.path("incentive"), INCENTIVE_FIELDS);
    return new Loop.Incentive(in.slug("referrer", false), in.slug("joiner", false));
  }

  private static JsonObject incentiveJson(Loop.Incentive incentive) {
    JsonObject json = new JsonObject();
    if (incentive.referrer() != null) {
      json.put("referrer", incentive.referrer());
    }
    if (incentive.joiner() != null) {
      json.put("joiner", incentive.joiner());
    }
    return json;
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** Event types; empty means the loop follows any event. */
  private static List<String> triggers(FieldReader in) {
    JsonArray array = in.array("triggers", EventTypes.ALL.size(), true);
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      Object value = array.getValue(i);
      String at = in.path("triggers") + "[" + i + "]";
      if (!(value instanceof String type) || !EventTypes.ALL.contains(type)) {
        throw RpcException.invalidParams(at, "is not an event type (known: " + EventTypes.ALL + ")");
      }
      if (!seen.add(type)) {
        throw RpcException.invalidParams(at, "repeats " + type);
      }
    }
    return List.copyOf(seen);
  }

  private static List<String> slugs(FieldReader in, String field, int max) {
    JsonArray array = in.array(field, max, false);
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String at = in.path(field) + "[" + i + "]";
      if (!seen.add(FieldReader.slugAt(at, array.getValue(i)))) {
        throw RpcException.invalidParams(at, "repeats " + array.getValue(i));
      }
    }
    return List.copyOf(seen);
  }

  private static Loop.Audience audience(FieldReader loop) {
    if (!loop.has("audience")) {
      return Loop.Audience.ANYONE;
    }
    FieldReader in = FieldReader.of(loop.raw("audience"), loop.path("audience"), AUDIENCE_FIELDS);
    Long min = in.optionalWhole("min_age", 0, MAX_AGE);
    Long max = in.optionalWhole("max_age", 0, MAX_AGE);
    if (min != null && max != null && min > max) {
      throw in.invalid("max_age", "must not be below min_age");
    }
    JsonArray personas = in.array("personas", PERSONAS.size(), false);
    List<String> list = new ArrayList<>();
    for (int i = 0; i < personas.size(); i++) {
      Object value = personas.getValue(i);
      if (!(value instanceof String p) || !PERSONAS.contains(p) || list.contains(p)) {
        throw RpcException.invalidParams(in.path("personas") + "[" + i + "]",
            "must be one of " + PERSONAS.stream().sorted().toList() + ", each at most once");
      }
      list.add(p);
    }
    return new Loop.Audience(min == null ? null : min.intValue(), max == null ? null : max.intValue(), List.copyOf(list),
        in.bool("requires_parental_consent", false));
  }

  private static Condition condition(FieldReader in, JsonObject targeting) {
    try {
      return Condition.parse(targeting);
    } catch (InvalidCondition e) {
      throw RpcException.invalidParams(in.path("targeting") + "." + e.path(), e.reason());
    }
  }

  /** The payload the product renders: a JSON object with a {@code type} slug, bounded in size. */
  private static JsonObject action(FieldReader in, String field) {
    JsonObject action = in.object(field, MAX_ACTION_BYTES, true);
    FieldReader.slugAt(in.path(field) + ".type", action.getValue("type"));
    if (action.getValue("copy") != null) {
      CopyTemplates.validate(action.getValue("copy"), in.path(field) + ".copy");
    }
    return action;
  }

  /** At most {@link #MAX_VARIANTS}, each {key: slug, weight: positive number, action}, keys unique. */
  private static List<Loop.Variant> variants(FieldReader loop) {
    JsonArray array = loop.array("variants", MAX_VARIANTS, false);
    List<Loop.Variant> variants = new ArrayList<>();
    Set<String> keys = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      FieldReader in = FieldReader.of(array.getValue(i), loop.path("variants") + "[" + i + "]", VARIANT_FIELDS);
      String key = in.slug("key", true);
      if (!keys.add(key)) {
        throw in.invalid("key", "repeats " + key + " (variant keys are unique within a loop)");
      }
      double weight = in.number("weight", 0, MAX_WEIGHT, 0);
      if (!(weight > 0)) {
        throw in.invalid("weight", "is required and must be positive (at most " + (long) MAX_WEIGHT + ")");
      }
      variants.add(new Loop.Variant(key, weight, action(in, "action")));
    }
    return List.copyOf(variants);
  }

  /** One per metric at most, each {metric: one of Guardrail.METRICS, max_increase: a share in [0, 1)}. */
  private static List<Loop.Guardrail> guardrails(FieldReader loop) {
    JsonArray array = loop.array("guardrails", Loop.Guardrail.METRICS.size(), false);
    List<Loop.Guardrail> guardrails = new ArrayList<>();
    Set<String> metrics = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      FieldReader in = FieldReader.of(array.getValue(i), loop.path("guardrails") + "[" + i + "]", GUARDRAIL_FIELDS);
      Object metric = in.raw("metric");
      if (!(metric instanceof String name) || !Loop.Guardrail.METRICS.contains(name)) {
        throw in.invalid("metric", "is required and must be one of " + Loop.Guardrail.METRICS);
      }
      if (!metrics.add(name)) {
        throw in.invalid("metric", "repeats " + name + " (one guardrail per metric)");
      }
      if (!in.has("max_increase")) {
        throw in.invalid("max_increase", "is required: the increase over the holdout, as a share (0.02 = 2 points)");
      }
      guardrails.add(new Loop.Guardrail(name, in.number("max_increase", 0, MAX_GUARDRAIL_INCREASE, 0)));
    }
    return List.copyOf(guardrails);
  }

  private static JsonArray guardrailsJson(List<Loop.Guardrail> guardrails) {
    JsonArray array = new JsonArray();
    guardrails.forEach(g -> array.add(new JsonObject().put("metric", g.metric()).put("max_increase", g.maxIncrease())));
    return array;
  }

  private static JsonArray variantsJson(List<Loop.Variant> variants) {
    JsonArray array = new JsonArray();
    variants.forEach(v -> array.add(new JsonObject().put("key", v.key()).put("weight", v.weight())
        .put("action", v.action().copy())));
    return array;
  }
}
