package viralengine.http;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import viralengine.connections.ConnectionBound;

/**
 * Liveness and readiness. Live means the event loop answers. Ready means the orchestrator has warmed up
 * (it answers on the bus) and, in cluster mode, this node has joined the cluster and owns learners; its database
 * is reachable and the connection bound is not reached.
 */
final class HealthRoutes {
  static final long CHECK_TIMEOUT_MS = 3_000;

  private HealthRoutes() {}

  static HealthCheckHandler liveness(Vertx vertx) {
    return HealthCheckHandler.createWithHealthChecks(HealthChecks.create(vertx)
        .register("event-loop", CHECK_TIMEOUT_MS, promise -> promise.complete(Status.OK())));
  }

  static HealthCheckHandler readiness(Vertx vertx, OrchestratorClient orchestrator, ConnectionBound connections) {
    HealthChecks checks = HealthChecks.create(vertx)
        .register("connections", CHECK_TIMEOUT_MS, promise -> {
          JsonObject data = new JsonObject().put("open", connections.open()).put("max", connections.max())
              .put("refused", connections.refused());
          promise.complete(connections.full()
              ? Status.KO(data.put("reason", "http.max_connections reached: new connections are closed at once"))
              : Status.OK(data));
        })
        .register("orchestrator-warm", CHECK_TIMEOUT_MS, promise ->
            orchestrator.health().onSuccess(body -> complete(promise, !body.containsKey("reason") && joined(body),
                body.getString("reason", "cluster mode: this node has not joined the owner ring yet"))))
        .register("database", CHECK_TIMEOUT_MS, promise ->
            orchestrator.health().onSuccess(body -> {
              JsonObject database = body.getJsonObject("database", new JsonObject());
              complete(promise, "up".equals(database.getString("status")),
                  database.getString("error", "database status unknown: orchestrator not started"));
            }));
    return HealthCheckHandler.createWithHealthChecks(checks);
  }

  /** In cluster mode a node is ready once it has joined and owns learners; a single node's body has no cluster. */
  private static boolean joined(JsonObject health) {
    JsonObject cluster = health.getJsonObject("cluster");
    return cluster == null || cluster.getBoolean("joined", false);
  }

  private static void complete(Promise<Status> promise, boolean ok, String reason) {
    promise.complete(ok ? Status.OK() : Status.KO(new JsonObject().put("reason", reason)));
  }
}
