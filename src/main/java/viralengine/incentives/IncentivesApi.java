package viralengine.incentives;

import java.util.List;

/**
 * The incentives agent's public contract (AGENTS.md "Built-in incentives"): one event-bus address per method,
 * {@code incentives.<method>}, whose body is the JSON-RPC params object and whose reply is the result object; a
 * failure is a {@code ReplyException} whose {@code failureCode()} is the JSON-RPC code.
 */
public final class IncentivesApi {
  public static final String AGENT = "incentives";
  public static final String OFFER_REWARD = "offer_reward";
  public static final String GRANT_REWARD = "grant_reward";
  public static final String GET_BALANCE = "get_balance";
  public static final String REVOKE_REWARD = "revoke_reward";
  public static final String LIST_REWARD_TYPES = "list_reward_types";
  public static final List<String> METHODS = List.of(OFFER_REWARD, GRANT_REWARD, GET_BALANCE, REVOKE_REWARD,
      LIST_REWARD_TYPES);
  public static final List<String> ROLES = List.of("referrer", "joiner");
  /** Why a grant was refused: the learner's daily cap of that type would be passed. */
  public static final String CAP_REACHED = "cap_reached";

  private IncentivesApi() {}
}
