package viralengine.safety;

import java.util.List;

/**
 * The trust_safety agent's public contract (AGENTS.md "Built-in trust_safety"): one event-bus address per method,
 * {@code trust_safety.<method>}, whose body is the JSON-RPC params object and whose reply is the result object.
 */
public final class SafetyApi {
  public static final String AGENT = "trust_safety";
  public static final String CHECK_ACTION = "check_action";
  public static final String REPORT_ABUSE = "report_abuse";
  public static final String BLOCK_USER = "block_user";
  public static final String UNBLOCK_USER = "unblock_user";
  public static final String LIST_BLOCKS = "list_blocks";
  public static final List<String> METHODS = List.of(CHECK_ACTION, REPORT_ABUSE, BLOCK_USER, UNBLOCK_USER, LIST_BLOCKS);

  public static final String ALLOW = "allow";
  public static final String FLAG = "flag";
  public static final String BLOCK = "block";
  /** The rules' reasons, in the order they are applied. */
  public static final String BLOCKED_USER = "blocked_user";
  public static final String CHILD_SHARING = "child_sharing";
  public static final String INVITE_RATE = "invite_rate";
  public static final String REFERRAL_RING = "referral_ring";
  public static final String REPORTED = "reported";

  private SafetyApi() {}
}
