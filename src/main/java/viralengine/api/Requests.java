package viralengine.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** Validated params of the orchestrator's methods. The HTTP edge and the event bus both parse with these. */
public final class Requests {
  public static final String TRIGGER_EVENT = "trigger_event";
  public static final String SELECT_LOOP = "select_loop";
  public static final String HEALTH = "health";
  public static final String UPSERT_LEARNER = "upsert_learner";
  public static final String GET_LEARNER = "get_learner";
  public static final String RECORD_OUTCOME = "record_outcome";
  public static final String EXPLAIN_DECISION = "explain_decision";
  public static final String LOOP_REPORT = "loop_report";
  /** Every method of agent orchestrator that takes params, in the order the API lists them. */
  public static final List<String> METHODS = List.of(TRIGGER_EVENT, SELECT_LOOP, UPSERT_LEARNER, GET_LEARNER,
      RECORD_OUTCOME, EXPLAIN_DECISION, LOOP_REPORT);
  public static final List<String> PERSONAS = List.of("student", "parent", "tutor");
  public static final List<String> CONSENTS = List.of("granted", "denied", "unknown");
  public static final List<String> OUTCOMES = List.of("shown", "dismissed", "clicked", "shared", "invite_sent",
      "invite_accepted", "joined", "fvm_reached");
  /** The outcomes that may name the learner who came in through the loop. */
  public static final Set<String> REFERRING_OUTCOMES = Set.of("invite_accepted", "joined", "fvm_reached");
  static final int MIN_BIRTH_YEAR = 1900;
  static final int MAX_ATTRIBUTES_BYTES = 4096;
  static final int MAX_ATTRIBUTES_DEPTH = 4;

  static final int MAX_ID_LENGTH = 128;
  private static final Pattern EVENT_TYPE = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  private static final Set<String> TRIGGER_FIELDS = Set.of("event_type", "user_id", "request_id", "occurred_at", "context");
  private static final Set<String> SELECT_FIELDS = Set.of("user_id", "event_type", "context", "request_id", "dry_run");
  private static final Set<String> LEARNER_FIELDS = Set.of("user_id", "timezone", "birth_year", "persona",
      "parental_consent", "growth_opt_out", "attributes");
  private static final Set<String> REPORT_FIELDS = Set.of("from", "to", "group_by");
  /** loop_report's row dimensions: one row per loop, per (loop, variant) or per (loop, event type). */
  public static final List<String> GROUP_BYS = List.of("loop", "variant", "event_type", "strategy");
  /** The longest range a report may span: it bounds the rollup rows one report reads. */
  public static final java.time.Duration MAX_REPORT_RANGE = java.time.Duration.ofDays(366);
  private static final Set<String> OUTCOME_FIELDS = Set.of("decision_id", "outcome", "occurred_at", "request_id",
      "referred_user_id", "context");

  /** Size bounds for {@code context}. */
  public record Limits(int maxContextBytes, int maxContextDepth) implements io.vertx.core.shareddata.Shareable {}

  /**
   * Any parsed call of agent orchestrator. The edges parse once and send this over the bus ({@link ParsedCodec});
   * {@code params} are the caller's, kept for the audit row and for idempotency's comparison.
   */
  public sealed interface Parsed permits Request, UpsertLearner, GetLearner, RecordOutcome, ExplainDecision,
      LoopReport {
    String method();

    JsonObject params();
  }

  /** A decision: what idempotency and the decision log need from either deciding method. */
  public sealed interface Request extends Parsed permits TriggerEvent, SelectLoop {
    String requestId();

    String userId();

    String eventType();

    JsonObject context();

    JsonObject params();
  }

  public record TriggerEvent(String eventType, String userId, String requestId, OffsetDateTime occurredAt,
      JsonObject context, JsonObject params) implements Request {
    @Override
    public String method() {
      return TRIGGER_EVENT;
    }
  }

  public record SelectLoop(String userId, String eventType, String requestId, JsonObject context, boolean dryRun,
      JsonObject params) implements Request {
    @Override
    public String method() {
      return SELECT_LOOP;
    }
  }

  /** Profile fields left null keep their stored value. */
  public record UpsertLearner(String userId, ZoneId timezone, Integer birthYear, String persona, String parentalConsent,
      Boolean growthOptOut, JsonObject attributes, JsonObject params) implements Parsed {
    @Override
    public String method() {
      return UPSERT_LEARNER;
    }
  }

  public record GetLearner(String userId, JsonObject params) implements Parsed {
    @Override
    public String method() {
      return GET_LEARNER;
    }
  }

  public record RecordOutcome(UUID decisionId, String outcome, OffsetDateTime occurredAt, String requestId,
      String referredUserId, JsonObject context, JsonObject params) implements Parsed {
    @Override
    public String method() {
      return RECORD_OUTCOME;
    }
  }

  public record ExplainDecision(UUID decisionId, JsonObject params) implements Parsed {
    @Override
    public String method() {
      return EXPLAIN_DECISION;
    }
  }

  /** Decisions made in [from, to), one row per {@code groupBy} key (docs/measure-and-learn.md). */
  public record LoopReport(Instant from, Instant to, String groupBy, JsonObject params) implements Parsed {
    @Override
    public String method() {
      return LOOP_REPORT;
    }
  }

  private Requests() {}

  /** Parses the params of {@code method}, or fails with -32601 for a method the orchestrator lacks. */
  public static Parsed parse(String method, JsonObject params, Limits limits, Instant now) {
    return switch (method) {
      case TRIGGER_EVENT -> triggerEvent(params, limits, now);
      case SELECT_LOOP -> selectLoop(params, limits);
      case UPSERT_LEARNER -> upsertLearner(params, now);
      case GET_LEARNER -> getLearner(params);
      case RECORD_OUTCOME -> recordOutcome(params, limits, now);
      case EXPLAIN_DECISION -> explainDecision(params);
      case LOOP_REPORT -> loopReport(params);
      default -> throw new RpcException(ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + method,
          new JsonObject().put("methods", new JsonArray(new java.util.ArrayList<>(METHODS)).add(HEALTH)));
    };
  }

  /** Parses a deciding method's params (trigger_event or select_loop). */
  public static Request parseDecision(String method, JsonObject params, Limits limits, Instant now) {
    if (parse(method, params, limits, now) instanceof Request request) {
      return request;
    }
    throw new IllegalArgumentException(method + " does not decide");
  }

  static TriggerEvent triggerEvent(JsonObject params, Limits limits, Instant now) {
    rejectUnknown(params, TRIGGER_FIELDS);
    String eventType = eventType(params, true);
    return new TriggerEvent(eventType, userId(params), requestId(params),
        Params.optionalTimestamp(params, "occurred_at", now), context(params, limits), params);
  }

  static SelectLoop selectLoop(JsonObject params, Limits limits) {
    rejectUnknown(params, SELECT_FIELDS);
    Boolean dryRun = Params.optionalBoolean(params, "dry_run");
    return new SelectLoop(userId(params), eventType(params, false), requestId(params), context(params, limits),
        Boolean.TRUE.equals(dryRun), params);
  }

  static UpsertLearner upsertLearner(JsonObject params, Instant now) {
    rejectUnknown(params, LEARNER_FIELDS);
    int thisYear = now.atZone(ZoneOffset.UTC).getYear() + 1;
    return new UpsertLearner(userId(params), timezone(params), Params.optionalInt(params, "birth_year", MIN_BIRTH_YEAR, thisYear),
        Params.optionalOneOf(params, "persona", PERSONAS), Params.optionalOneOf(params, "parental_consent", CONSENTS),
        Params.optionalBoolean(params, "growth_opt_out"),
        params.getValue("attributes") == null ? null
            : Params.optionalObject(params, "attributes", MAX_ATTRIBUTES_BYTES, MAX_ATTRIBUTES_DEPTH),
        params);
  }

  static GetLearner getLearner(JsonObject params) {
    rejectUnknown(params, Set.of("user_id"));
    return new GetLearner(userId(params), params);
  }

  static RecordOutcome recordOutcome(JsonObject params, Limits limits, Instant now) {
    rejectUnknown(params, OUTCOME_FIELDS);
    UUID decisionId = Params.requiredUuid(params, "decision_id");
    String outcome = Params.optionalOneOf(params, "outcome", OUTCOMES);
    if (outcome == null) {
      throw RpcException.invalidParams("outcome", "is required (one of " + OUTCOMES + ")");
    }
    String referred = Params.optionalString(params, "referred_user_id", MAX_ID_LENGTH, Params.VISIBLE_ASCII,
        "visible ASCII characters (no spaces)");
    if (referred != null && !REFERRING_OUTCOMES.contains(outcome)) {
      throw RpcException.invalidParams("referred_user_id", "may only be given with outcome "
          + REFERRING_OUTCOMES.stream().sorted().toList());
    }
    return new RecordOutcome(decisionId, outcome, Params.optionalTimestamp(params, "occurred_at", now),
        requestId(params), referred, context(params, limits), params);
  }

  static ExplainDecision explainDecision(JsonObject params) {
    rejectUnknown(params, Set.of("decision_id"));
    return new ExplainDecision(Params.requiredUuid(params, "decision_id"), params);
  }

  static LoopReport loopReport(JsonObject params) {
    rejectUnknown(params, REPORT_FIELDS);
    Instant from = instant(params, "from");
    Instant to = instant(params, "to");
    if (!from.isBefore(to)) {
      throw RpcException.invalidParams("to", "must be after from");
    }
    if (java.time.Duration.between(from, to).compareTo(MAX_REPORT_RANGE) > 0) {
      throw RpcException.invalidParams("to", "must be at most " + MAX_REPORT_RANGE.toDays() + " days after from");
    }
    String groupBy = Params.optionalOneOf(params, "group_by", GROUP_BYS);
    return new LoopReport(from, to, groupBy == null ? "loop" : groupBy, params);
  }

  /** A required ISO-8601 instant with an offset, within years 2000 to 2999 (a sane bound for decision times). */
  private static Instant instant(JsonObject params, String field) {
    Object value = params.getValue(field);
    if (value == null) {
      throw RpcException.invalidParams(field, "is required");
    }
    String example = "an ISO-8601 instant with an offset, such as 2026-11-25T00:00:00Z";
    if (!(value instanceof String text) || text.length() > 64) {
      throw RpcException.invalidParams(field, "must be " + example);
    }
    try {
      Instant instant = OffsetDateTime.parse(text).toInstant();
      int year = instant.atZone(ZoneOffset.UTC).getYear();
      if (year < 2000 || year > 2999) {
        throw RpcException.invalidParams(field, "must lie in the years 2000 to 2999");
      }
      return instant;
    } catch (java.time.format.DateTimeParseException e) {
      throw RpcException.invalidParams(field, "must be " + example);
    }
  }

  private static ZoneId timezone(JsonObject params) {
    Object value = params.getValue("timezone");
    if (value == null) {
      return null;
    }
    if (value instanceof String zone && zone.length() <= 64 && ZoneId.getAvailableZoneIds().contains(zone)) {
      return ZoneId.of(zone);
    }
    throw RpcException.invalidParams("timezone", "must be an IANA time zone such as America/Los_Angeles");
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
