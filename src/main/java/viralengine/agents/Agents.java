package viralengine.agents;

import io.vertx.core.Vertx;
import viralengine.config.AgentSettings;
import viralengine.metrics.ServiceMetrics;

import java.util.LinkedHashMap;
import java.util.Map;

/** The three peer agents a decision calls, each behind its own breaker (AGENTS.md "How agents are reached"). */
public final class Agents implements AutoCloseable {
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

  /** Closes every circuit: called once the start-up rehearsal is over. */
  public void reset() {
    links.values().forEach(AgentLink::reset);
  }

  @Override
  public void close() {
    links.values().forEach(AgentLink::close);
  }
}
