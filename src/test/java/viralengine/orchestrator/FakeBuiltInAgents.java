package viralengine.orchestrator;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stand-ins for the three built-in agents, registered where the built-ins register theirs: the event-bus consumers
 * {@code trust_safety.check_action}, {@code personalization.personalize} and {@code incentives.offer_reward}. The
 * verdict is set per loop; what each was asked is kept.
 */
final class FakeBuiltInAgents implements AutoCloseable {
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private final Map<String, JsonObject> verdicts = new ConcurrentHashMap<>();
  final List<JsonObject> checked = new CopyOnWriteArrayList<>();
  final List<JsonObject> personalized = new CopyOnWriteArrayList<>();
  final List<JsonObject> offered = new CopyOnWriteArrayList<>();
  /** What check_action answers for a loop with no verdict set: replaced to send a malformed answer. */
  volatile JsonObject defaultVerdict = verdict("allow", 0.0);

  FakeBuiltInAgents(Vertx vertx) {
    consumers.add(vertx.eventBus().<JsonObject>consumer("trust_safety.check_action", message -> {
      checked.add(message.body());
      message.reply(verdicts.getOrDefault(message.body().getString("loop"), defaultVerdict));
    }));
    consumers.add(vertx.eventBus().<JsonObject>consumer("personalization.personalize", message -> {
      personalized.add(message.body());
      String persona = message.body().getString("persona", "default");
      message.reply(new JsonObject().put("headline", "Hello " + persona).put("body", "Personal body")
          .put("cta", "Let's go").put("share_copy", "Come learn with me"));
    }));
    consumers.add(vertx.eventBus().<JsonObject>consumer("incentives.offer_reward", message -> {
      offered.add(message.body());
      message.reply(new JsonObject().put("reward", new JsonObject().put("type", "streak_shield").put("amount", 1)
          .put("expires_in_days", 7)));
    }));
    consumers.forEach(consumer -> TestService.await(consumer.completion()));
  }

  static JsonObject verdict(String verdict, double risk, String... reasons) {
    return new JsonObject().put("verdict", verdict).put("reasons", new JsonArray(List.of(reasons)))
        .put("risk_score", risk);
  }

  void verdict(String loop, JsonObject answer) {
    verdicts.put(loop, answer);
  }

  @Override
  public void close() {
    consumers.forEach(consumer -> TestService.await(consumer.unregister()));
  }
}
