package viralengine.safety;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import viralengine.config.AppConfig;
import viralengine.loops.Catalog;
import viralengine.loops.FieldReader;
import viralengine.loops.Loop;
import viralengine.rpc.BusMethods;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/** Serves the {@link SafetyApi} addresses: params validated here, rules in {@link SafetyRules}, SQL in {@link SafetyStore}. */
public final class SafetyVerticle extends VerticleBase {
  static final int MAX_ID = 128;
  static final int MAX_REASON = 500;
  static final int MAX_CONTEXT_BYTES = 8_192;
  static final int DEFAULT_BLOCKS = 100;
  static final int MAX_BLOCKS = 1_000;
  private static final Set<String> LEARNER_FIELDS = Set.of("age", "persona", "parental_consent");

  private final SafetyStore store;
  private final Supplier<Catalog> catalog;
  private final Clock clock;
  private final AppConfig.TrustSafety settings;
  private final SafetyRules.Limits limits;

  public SafetyVerticle(Pool pool, Supplier<Catalog> catalog, Clock clock, AppConfig.TrustSafety settings) {
    this.store = new SafetyStore(pool);
    this.catalog = catalog;
    this.clock = clock;
    this.settings = settings;
    this.limits = new SafetyRules.Limits(settings.maxInvitesPerDay(), settings.maxSelectionsPerHour());
  }

  @Override
  public Future<?> start() {
    return new BusMethods(SafetyApi.AGENT)
        .on(SafetyApi.CHECK_ACTION, this::checkAction)
        .on(SafetyApi.REPORT_ABUSE, this::reportAbuse)
        .on(SafetyApi.BLOCK_USER, this::blockUser)
        .on(SafetyApi.UNBLOCK_USER, this::unblockUser)
        .on(SafetyApi.LIST_BLOCKS, this::listBlocks)
        .register(vertx);
  }

  private Future<JsonObject> checkAction(JsonObject params) {
    FieldReader.of(params, "", Set.of("user_id", "action", "loop", "learner", "context"));
    String userId = Params.userId(params, "user_id");
    if (Params.optionalOneOf(params, "action", List.of("loop_selected")) == null) {
      throw RpcException.invalidParams("action", "is required: loop_selected");
    }
    String loopName = Params.requiredString(params, "loop", 64, FieldReader.SLUG, "a loop name (slug)");
    SafetyRules.Learner learner = learner(params.getValue("learner"));
    Params.optionalObject(params, "context", MAX_CONTEXT_BYTES, 8);
    Loop loop = catalog.get().loop(loopName).orElseThrow(() -> RpcException.invalidParams("loop", "is not a known loop"));
    return store.facts(userId, loop.id(), clock.instant(), limits)
        .map(facts -> SafetyRules.verdict(facts, loop, learner, limits));
  }

  private static SafetyRules.Learner learner(Object value) {
    if (value == null) {
      return new SafetyRules.Learner(null, null);
    }
    FieldReader in = FieldReader.of(value, "learner", LEARNER_FIELDS);
    Long age = in.optionalWhole("age", 0, 150);
    oneOf(in, "persona", List.of("student", "parent", "tutor"));
    return new SafetyRules.Learner(age == null ? null : age.intValue(),
        oneOf(in, "parental_consent", List.of("granted", "denied", "unknown")));
  }

  private static String oneOf(FieldReader in, String field, List<String> allowed) {
    Object value = in.raw(field);
    if (value != null && !(value instanceof String s && allowed.contains(s))) {
      throw in.invalid(field, "must be one of " + allowed);
    }
    return (String) value;
  }

  private Future<JsonObject> reportAbuse(JsonObject params) {
    FieldReader.of(params, "", Set.of("decision_id", "reason", "request_id"));
    SafetyStore.Report report = new SafetyStore.Report(Params.requiredUuid(params, "decision_id"), Params.requiredText(params, "reason", MAX_REASON),
        Params.optionalString(params, "request_id", MAX_ID, Params.VISIBLE_ASCII, "visible ASCII characters"), params);
    return store.report(report, clock.instant(), settings.reportBlockDays());
  }

  private Future<JsonObject> blockUser(JsonObject params) {
    FieldReader.of(params, "", Set.of("user_id", "reason", "until"));
    return store.block(Params.userId(params, "user_id"), Params.requiredText(params, "reason", MAX_REASON), until(params), clock.instant());
  }

  private OffsetDateTime until(JsonObject params) {
    Object value = params.getValue("until");
    if (value == null) {
      return null;
    }
    OffsetDateTime until;
    try {
      until = value instanceof String s && s.length() <= 64 ? OffsetDateTime.parse(s) : null;
    } catch (DateTimeParseException e) {
      until = null;
    }
    if (until == null || !until.toInstant().isAfter(clock.instant())) {
      throw RpcException.invalidParams("until", "must be a future ISO-8601 timestamp with an offset, such as"
          + " 2027-01-01T00:00:00Z (leave it out to block for good)");
    }
    return until;
  }

  private Future<JsonObject> unblockUser(JsonObject params) {
    FieldReader.of(params, "", Set.of("user_id"));
    return store.unblock(Params.userId(params, "user_id"));
  }

  private Future<JsonObject> listBlocks(JsonObject params) {
    FieldReader.of(params, "", Set.of("limit"));
    Integer limit = Params.optionalInt(params, "limit", 1, MAX_BLOCKS);
    return store.blocks(limit == null ? DEFAULT_BLOCKS : limit, clock.instant());
  }
}
