package viralengine.agents;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import viralengine.config.AgentSettings;
import viralengine.metrics.ServiceMetrics;

import java.util.LinkedHashMap;
import java.util.Map;

/** The three peer agents a decision calls, each behind its own breaker (AGENTS.md "How agents are reached"). */
public final class Agents implements AutoCloseable {
  static final String WARM_UP_USER = "viral-engine-warm-up";
  static final String WARM_UP_LOOP = "viral_engine_warm_up";
  private final AgentSettings settings;
  private final Map<String, AgentLink> links = new LinkedHashMap<>();

  public Agents(Vertx vertx, AgentSettings settings, ServiceMetrics metrics) {
    this.settings = settings;
    for (AgentSettings.Agent agent : settings.all()) {
      links.put(agent.name(), new AgentLink(vertx, agent, metrics));
    }
  }

  public AgentSettings settings() {
    return settings;
  }

  public AgentLink trustSafety() {
    return links.get(AgentSettings.TRUST_SAFETY);
  }

  public AgentLink personalization() {
    return links.get(AgentSettings.PERSONALIZATION);
  }

  public AgentLink incentives() {
    return links.get(AgentSettings.INCENTIVES);
  }

  /**
   * Calls each agent method once, as a rehearsal (no metrics), then closes every circuit: the first real decision
   * then finds the remote agents' connections open and the code on the path loaded. A cold first call to a remote
   * agent took over 60 ms (a budget of 12). The methods called are read-only by contract; what they answer is ignored.
   */
  public Future<Void> warm() {
    JsonObject learner = new JsonObject().put("parental_consent", "unknown");
    JsonObject none = new JsonObject().put("user_id", WARM_UP_USER).put("loop", WARM_UP_LOOP);
    return Future.join(
            trustSafety().call("check_action", none.copy().put("action", "loop_selected").put("learner", learner),
                trustSafety().timeoutMs(), Answers::checkAction, true),
            personalization().call("personalize", none.copy().put("action", new JsonObject()),
                personalization().timeoutMs(), Answers::personalize, true),
            incentives().call("offer_reward", none.copy().put("role", "referrer"), incentives().timeoutMs(),
                Answers::offerReward, true))
        .<Void>mapEmpty().otherwiseEmpty().onComplete(done -> links.values().forEach(AgentLink::reset));
  }

  @Override
  public void close() {
    links.values().forEach(AgentLink::close);
  }
}
