package viralengine.personalization;

import java.util.List;

/**
 * The personalization agent's public contract (AGENTS.md "Built-in personalization"): {@code personalization.personalize}
 * on the event bus, body the JSON-RPC params object, reply {@code {headline, body, cta, share_copy}}.
 */
public final class PersonalizationApi {
  public static final String AGENT = "personalization";
  public static final String PERSONALIZE = "personalize";
  public static final List<String> METHODS = List.of(PERSONALIZE);

  private PersonalizationApi() {}
}
