package viralengine.example;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import viralengine.client.OrchestratorBusClient;
import viralengine.client.OrchestratorException;
import viralengine.client.SelectLoop;
import viralengine.client.TriggerEvent;

import java.time.Duration;

/**
 * The README's example of a co-deployed verticle: a product-side component that, for each learner who
 * finishes practice, records the event, asks which loop to show, and checks the orchestrator's health,
 * all through the typed event-bus client. The service deploys it when {@code deploy.verticles} names it.
 *
 * <p>It listens on {@value #ADDRESS} (body {@code {user_id}}) and replies with what the orchestrator said.
 */
public class LearnerNudgeVerticle extends VerticleBase {
  public static final String ADDRESS = "example.nudge";

  private OrchestratorBusClient orchestrator;

  @Override
  public Future<?> start() {
    orchestrator = OrchestratorBusClient.create(vertx, Duration.ofMillis(500));
    // Deployed after the orchestrator is ready, so its first call already finds it.
    return orchestrator.health()
        .compose(health -> vertx.eventBus().consumer(ADDRESS, this::nudge).completion());
  }

  private void nudge(Message<JsonObject> message) {
    String user = message.body().getString("user_id");
    orchestrator.triggerEvent(TriggerEvent.of("practice_completed", user).withContext(new JsonObject().put("skill", "fractions")))
        .compose(event -> orchestrator.selectLoop(SelectLoop.forUser(user).withEventType("practice_completed"))
            .compose(loop -> orchestrator.health()
                .map(health -> new JsonObject()
                    .put("event_decision_id", event.decisionId())
                    .put("loop_decision_id", loop.decisionId())
                    .put("loop", loop.loop())
                    .put("rationale", loop.rationale())
                    .put("health", health.status())
                    .put("database_mode", health.databaseMode()))))
        .onSuccess(message::reply)
        .onFailure(err -> message.fail(err instanceof OrchestratorException e ? e.code() : -32603, err.getMessage()));
  }
}
