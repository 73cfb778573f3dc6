package viralengine.incentives;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import viralengine.loops.Catalog;
import viralengine.loops.FieldReader;
import viralengine.loops.Loop;
import viralengine.rpc.BusMethods;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;

import java.time.Clock;
import java.util.Set;
import java.util.function.Supplier;

/** Serves the {@link IncentivesApi} addresses over the {@link Ledger}; params are validated here. */
public final class IncentivesVerticle extends VerticleBase {
  static final int MAX_ID = 128;
  static final int MAX_REASON = 500;
  static final int MAX_SOURCE_BYTES = 2_048;
  static final int MAX_AMOUNT = 1_000_000;

  private final Ledger ledger;
  private final Supplier<Catalog> catalog;
  private final Clock clock;

  public IncentivesVerticle(Pool pool, Supplier<Catalog> catalog, Clock clock) {
    this.ledger = new Ledger(pool);
    this.catalog = catalog;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    return new BusMethods(IncentivesApi.AGENT)
        .on(IncentivesApi.OFFER_REWARD, this::offer)
        .on(IncentivesApi.GRANT_REWARD, this::grant)
        .on(IncentivesApi.GET_BALANCE, this::balance)
        .on(IncentivesApi.REVOKE_REWARD, this::revoke)
        .on(IncentivesApi.LIST_REWARD_TYPES, this::types)
        .register(vertx);
  }

  private Future<JsonObject> offer(JsonObject params) {
    FieldReader.of(params, "", Set.of("user_id", "loop", "role"));
    String userId = Params.userId(params, "user_id");
    String loopName = Params.requiredString(params, "loop", 64, FieldReader.SLUG, "a loop name (slug)");
    String role = Params.optionalOneOf(params, "role", IncentivesApi.ROLES);
    if (role == null) {
      throw RpcException.invalidParams("role", "is required: one of " + IncentivesApi.ROLES);
    }
    Loop loop = catalog.get().loop(loopName).orElseThrow(() -> RpcException.invalidParams("loop", "is not a known loop"));
    String type = loop.incentive().forRole(role);
    if (type == null) {
      return Future.succeededFuture(new JsonObject().putNull("reward"));
    }
    return ledger.offer(userId, type, clock.instant()).map(reward -> new JsonObject().put("reward", reward));
  }

  private Future<JsonObject> grant(JsonObject params) {
    FieldReader.of(params, "", Set.of("user_id", "reward_type", "amount", "source", "request_id"));
    Ledger.Grant grant = new Ledger.Grant(Params.userId(params, "user_id"),
        Params.requiredString(params, "reward_type", 64, FieldReader.SLUG, "a reward type (slug)"),
        Params.optionalInt(params, "amount", 1, MAX_AMOUNT),
        source(params),
        Params.requiredString(params, "request_id", MAX_ID, Params.VISIBLE_ASCII, "visible ASCII characters"),
        null, params);
    return ledger.grant(grant, clock.instant());
  }

  /** A free-form note of where the grant comes from: a string, or a small object. */
  private static JsonObject source(JsonObject params) {
    Object value = params.getValue("source");
    if (value instanceof String text) {
      if (text.isEmpty() || text.length() > MAX_REASON) {
        throw RpcException.invalidParams("source", "must be 1 to " + MAX_REASON + " characters long");
      }
      return new JsonObject().put("note", text);
    }
    return Params.optionalObject(params, "source", MAX_SOURCE_BYTES, 4);
  }

  private Future<JsonObject> balance(JsonObject params) {
    FieldReader.of(params, "", Set.of("user_id"));
    return ledger.balance(Params.userId(params, "user_id"), clock.instant());
  }

  private Future<JsonObject> revoke(JsonObject params) {
    FieldReader.of(params, "", Set.of("grant_id", "reason"));
    return ledger.revoke(Params.requiredUuid(params, "grant_id"), Params.requiredText(params, "reason", MAX_REASON),
        clock.instant());
  }

  private Future<JsonObject> types(JsonObject params) {
    FieldReader.of(params, "", Set.of());
    return ledger.types();
  }
}
