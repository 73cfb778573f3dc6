package viralengine.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.frequency.FrequencyRule;
import viralengine.loops.FieldReader;
import viralengine.loops.Loop;
import viralengine.loops.LoopJson;
import viralengine.loops.RuleJson;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;

import java.util.Set;

/** Validated params of the admin methods; every problem is -32602 naming its path. */
public final class AdminRequests {
  static final int DEFAULT_CHANGES = 50;
  static final int MAX_CHANGES = 500;
  /** Versions start at 1; 0 in expected_version means "create only: the loop must not exist yet". */
  static final long MAX_VERSION = Long.MAX_VALUE / 2;

  public sealed interface Request permits ListLoops, GetLoop, UpsertLoop, SetLoopActive, ListRules, UpsertRule,
      DeleteRule, ListChanges, ForgetLearner {}

  public record ListLoops() implements Request {}

  public record GetLoop(String name) implements Request {}

  /** {@code expectedVersion} null: write whatever is stored; 0: create only; n: only over version n. */
  public record UpsertLoop(Loop loop, Long expectedVersion) implements Request {}

  public record SetLoopActive(String name, boolean active, Long expectedVersion) implements Request {}

  public record ListRules() implements Request {}

  public record UpsertRule(FrequencyRule rule) implements Request {}

  public record DeleteRule(String id) implements Request {}

  public record ListChanges(int limit) implements Request {}

  public record ForgetLearner(String userId, String requestId, String reason) implements Request {}

  /** user_id and request_id as the orchestrator's methods accept them. */
  static final int MAX_ID_LENGTH = 128;
  static final int MAX_REASON_LENGTH = 500;
  private static final String ID_CHARSET = "visible ASCII characters (no spaces)";

  private AdminRequests() {}

  /** Parses the params of {@code method}; -32601 for a method the admin agent lacks. */
  public static Request parse(String method, Object params) {
    return switch (method) {
      case AdminApi.LIST_LOOPS -> {
        read(params, Set.of());
        yield new ListLoops();
      }
      case AdminApi.GET_LOOP -> new GetLoop(read(params, Set.of("name")).slug("name", true));
      case AdminApi.UPSERT_LOOP -> {
        FieldReader in = read(params, Set.of("loop", "expected_version"));
        if (!in.has("loop")) {
          throw in.invalid("loop", "is required");
        }
        yield new UpsertLoop(LoopJson.parse(in.raw("loop"), "loop"), in.optionalWhole("expected_version", 0, MAX_VERSION));
      }
      case AdminApi.SET_LOOP_ACTIVE -> {
        FieldReader in = read(params, Set.of("name", "active", "expected_version"));
        yield new SetLoopActive(in.slug("name", true), in.bool("active", null), in.optionalWhole("expected_version", 1, MAX_VERSION));
      }
      case AdminApi.LIST_FREQUENCY_RULES -> {
        read(params, Set.of());
        yield new ListRules();
      }
      case AdminApi.UPSERT_FREQUENCY_RULE -> {
        FieldReader in = read(params, Set.of("rule"));
        if (!in.has("rule")) {
          throw in.invalid("rule", "is required");
        }
        yield new UpsertRule(RuleJson.parse(in.raw("rule"), "rule"));
      }
      case AdminApi.DELETE_FREQUENCY_RULE -> new DeleteRule(read(params, Set.of("id")).slug("id", true));
      case AdminApi.LIST_CHANGES -> new ListChanges((int) read(params, Set.of("limit"))
          .whole("limit", 1, MAX_CHANGES, (long) DEFAULT_CHANGES));
      case AdminApi.FORGET_LEARNER -> {
        FieldReader in = read(params, Set.of("user_id", "request_id", "reason"));
        JsonObject p = params instanceof JsonObject o ? o : new JsonObject();
        yield new ForgetLearner(Params.requiredString(p, "user_id", MAX_ID_LENGTH, Params.VISIBLE_ASCII, ID_CHARSET),
            Params.requiredString(p, "request_id", MAX_ID_LENGTH, Params.VISIBLE_ASCII, ID_CHARSET),
            in.text("reason", 1, MAX_REASON_LENGTH, false, true));
      }
      default -> throw new RpcException(ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + method,
          new JsonObject().put("methods", new JsonArray(AdminApi.METHODS).copy().add("rpc.discover")));
    };
  }

  private static FieldReader read(Object params, Set<String> known) {
    return FieldReader.of(params == null ? new JsonObject() : params, "", known);
  }
}
