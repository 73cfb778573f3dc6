package viralengine.incentives;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Two-sided grants: a {@code joined} outcome with a referred learner, through a loop with an incentive, grants the
 * referrer (the decision's learner) and the joiner their reward types. Each grant's request_id is derived from the
 * decision, the role and the joiner, so a retried outcome (or two processes recording it at once) never grants
 * twice, while each friend who joins is rewarded once. Caps hold as for any grant (see {@link Ledger}).
 */
public final class JoinGrants {
  private final Ledger ledger;
  private final Supplier<Catalog> catalog;
  private final Clock clock;

  public JoinGrants(Pool pool, Supplier<Catalog> catalog, Clock clock) {
    this.ledger = new Ledger(pool);
    this.catalog = catalog;
    this.clock = clock;
  }

  /** What each side was granted ({role, user_id, reward_type, granted, grant_id | reason}); null when the loop has no incentive. */
  public Future<JsonArray> grant(UUID decisionId, String loopName, String referrer, String joiner) {
    Loop.Incentive incentive = catalog.get().loop(loopName).map(Loop::incentive).orElse(Loop.Incentive.NONE);
    if (incentive.isNone()) {
      return Future.succeededFuture(null);
    }
    List<Future<JsonObject>> grants = new ArrayList<>();
    if (incentive.referrer() != null) {
      grants.add(grantOne(decisionId, loopName, "referrer", referrer, incentive.referrer(), joiner));
    }
    if (incentive.joiner() != null) {
      grants.add(grantOne(decisionId, loopName, "joiner", joiner, incentive.joiner(), joiner));
    }
    return Future.all(grants).map(all -> {
      JsonArray list = new JsonArray();
      grants.forEach(g -> list.add(g.result()));
      return list;
    });
  }

  private Future<JsonObject> grantOne(UUID decisionId, String loop, String role, String userId, String type, String joiner) {
    String requestId = "joined:" + decisionId + ":" + role + ":" + joiner;
    JsonObject source = new JsonObject().put("decision_id", decisionId.toString()).put("loop", loop).put("role", role)
        .put("referred_user_id", joiner);
    JsonObject params = new JsonObject().put("user_id", userId).put("reward_type", type).put("source", source)
        .put("request_id", requestId);
    return ledger.grant(new Ledger.Grant(userId, type, null, source, requestId, decisionId, params), clock.instant())
        .map(answer -> answer.put("role", role).put("user_id", userId).put("reward_type", type));
  }
}
