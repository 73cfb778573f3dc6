package viralengine.config;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The peer agents a decision calls (AGENTS.md): each built in (no {@code url}: its event-bus consumers
 * {@code {agent}.{method}}) or remote ({@code url}, called over JSON-RPC with {@code token} as a Bearer token), with
 * its own budget. {@code maxCandidates} loops at most are vetted by trust_safety; {@code onFailure} is what a
 * decision does when trust_safety does not answer in time. {@code builtin} false leaves the built-in agents
 * undeployed: a decision then calls only the remote ones (a benchmark's "agents off", or a deployment that vets
 * elsewhere).
 */
public record AgentSettings(Agent trustSafety, Agent personalization, Agent incentives, int maxCandidates,
    String onFailure, boolean builtin) {

  public static final String TRUST_SAFETY = "trust_safety";
  public static final String PERSONALIZATION = "personalization";
  public static final String INCENTIVES = "incentives";
  public static final List<String> NAMES = List.of(TRUST_SAFETY, PERSONALIZATION, INCENTIVES);
  /** {@code agents.builtin}: whether this process deploys the three built-in agents. */
  public static final String BUILTIN = "builtin";
  /** The keys of the {@code agents} section: one object per agent, and {@code builtin}. */
  static final Set<String> SECTION_KEYS = Set.of(TRUST_SAFETY, PERSONALIZATION, INCENTIVES, BUILTIN);
  public static final String BLOCK_MINORS = "block_minors";
  public static final List<String> ON_FAILURE = List.of(BLOCK_MINORS, "block", "allow");
  private static final Map<String, Long> DEFAULT_TIMEOUT_MS = Map.of(TRUST_SAFETY, 40L, PERSONALIZATION, 50L,
      INCENTIVES, 30L);
  private static final Set<String> AGENT_KEYS = Set.of("url", "token", "timeout_ms");
  private static final Set<String> TRUST_SAFETY_KEYS = Set.of("url", "token", "timeout_ms", "max_candidates",
      "on_failure");
  static final int MAX_TOKEN_LENGTH = 4_096;

  /**
   * One agent. The token is a secret: {@link #toString()} never shows it.
   *
   * @param url the remote agent's base URL, or null for the built-in one
   */
  public record Agent(String name, String url, String token, long timeoutMs) {
    public boolean remote() {
      return url != null;
    }

    @Override
    public String toString() {
      return "Agent[" + name + ", " + (url == null ? "built in" : url) + ", token " + (token == null ? "none" : "set")
          + ", timeout " + timeoutMs + " ms]";
    }
  }

  public List<Agent> all() {
    return List.of(trustSafety, personalization, incentives);
  }

  /** Every dotted key of the section, for the environment store ({@code AGENTS_TRUST_SAFETY_TOKEN}, ...). */
  static List<String> keys() {
    return Stream.concat(Stream.of("agents." + BUILTIN),
        NAMES.stream().flatMap(name -> keysOf(name).stream().sorted().map(key -> "agents." + name + "." + key))).toList();
  }

  static AgentSettings from(Settings s) {
    return new AgentSettings(agent(s, TRUST_SAFETY), agent(s, PERSONALIZATION), agent(s, INCENTIVES),
        s.integer("agents.trust_safety.max_candidates", 2, 1, 20), onFailure(s), s.bool("agents." + BUILTIN, true));
  }

  /** {@code agents} holds one object per agent, each with its own keys only. */
  static void rejectUnknownKeys(JsonObject section) {
    for (String name : section.fieldNames()) {
      if (BUILTIN.equals(name)) {
        continue;
      }
      if (!NAMES.contains(name)) {
        throw new ConfigException("agents." + name, "unknown agent (known: " + NAMES + ")");
      }
      Object values = section.getValue(name);
      if (values == null) {
        continue;
      }
      if (!(values instanceof JsonObject keys)) {
        throw new ConfigException("agents." + name, "must be an object");
      }
      for (String key : keys.fieldNames()) {
        if (!keysOf(name).contains(key)) {
          throw new ConfigException("agents." + name + "." + key, "unknown key (known: " + keysOf(name) + ")");
        }
      }
    }
  }

  private static Set<String> keysOf(String name) {
    return TRUST_SAFETY.equals(name) ? TRUST_SAFETY_KEYS : AGENT_KEYS;
  }

  private static Agent agent(Settings s, String name) {
    String prefix = "agents." + name + ".";
    String url = s.raw(prefix + "url") == null ? null : url(prefix + "url", s.string(prefix + "url", null));
    String token = s.raw(prefix + "token") == null ? null : s.string(prefix + "token", null);
    if (token != null && (token.length() > MAX_TOKEN_LENGTH || !token.chars().allMatch(c -> c > 32 && c < 127))) {
      // Never echo the value: it is a secret.
      throw new ConfigException(prefix + "token", "must be 1 to " + MAX_TOKEN_LENGTH + " visible ASCII characters");
    }
    if (token != null && url == null) {
      throw new ConfigException(prefix + "token", "is sent to a remote agent only: set " + prefix + "url too");
    }
    return new Agent(name, url, token, s.number(prefix + "timeout_ms", DEFAULT_TIMEOUT_MS.get(name), 1, 60_000));
  }

  private static String url(String key, String value) {
    try {
      URI uri = new URI(value);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
          && uri.getQuery() == null && uri.getFragment() == null && uri.getUserInfo() == null) {
        return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
      }
    } catch (URISyntaxException e) {
      // fall through to the error below
    }
    throw new ConfigException(key, "must be an absolute http(s) URL without credentials, query or fragment, such as"
        + " https://agents.example.com, got '" + value + "'");
  }

  private static String onFailure(Settings s) {
    String value = s.string("agents.trust_safety.on_failure", BLOCK_MINORS);
    if (!ON_FAILURE.contains(value)) {
      throw new ConfigException("agents.trust_safety.on_failure", "must be one of " + ON_FAILURE + ", got '" + value
          + "'");
    }
    return value;
  }
}
