package viralengine.admin;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import viralengine.rpc.BusMethods;

import java.util.List;

/**
 * The admin agent's public event-bus API: one address per method, {@code admin.<method>}. The body is the
 * params as a {@code JsonObject}; the reply is the result as a {@code JsonObject}. A failure is a
 * {@link ReplyException} whose {@code failureCode()} is a JSON-RPC code (-32602 invalid params, -32005
 * version conflict, -32006 not found, -32603 internal); within one JVM it is a {@link Failure}, which also
 * carries the JSON-RPC error's {@code data} (the bad path, the current version). Always send with a timeout,
 * and name who is making the change in the {@link #HEADER_ACTOR} header:
 *
 * <pre>{@code
 * vertx.eventBus().<JsonObject>request(AdminApi.address(AdminApi.SET_LOOP_ACTIVE),
 *     new JsonObject().put("name", "buddy_challenge").put("active", true),
 *     new DeliveryOptions().setSendTimeout(5_000).addHeader(AdminApi.HEADER_ACTOR, "growth-bot"))
 * }</pre>
 */
public final class AdminApi {
  public static final String AGENT = "admin";
  public static final String LIST_LOOPS = "list_loops";
  public static final String GET_LOOP = "get_loop";
  public static final String UPSERT_LOOP = "upsert_loop";
  public static final String SET_LOOP_ACTIVE = "set_loop_active";
  public static final String LIST_FREQUENCY_RULES = "list_frequency_rules";
  public static final String UPSERT_FREQUENCY_RULE = "upsert_frequency_rule";
  public static final String DELETE_FREQUENCY_RULE = "delete_frequency_rule";
  public static final String LIST_CHANGES = "list_changes";
  /** Params {@code {user_id, request_id, reason?}}: a parent's erasure request (docs/data-lifecycle.md). */
  public static final String FORGET_LEARNER = "forget_learner";
  public static final List<String> METHODS = List.of(LIST_LOOPS, GET_LOOP, UPSERT_LOOP, SET_LOOP_ACTIVE,
      LIST_FREQUENCY_RULES, UPSERT_FREQUENCY_RULE, DELETE_FREQUENCY_RULE, LIST_CHANGES, FORGET_LEARNER);

  /**
   * Who makes the change: recorded as {@code actor} in the audit trail. The HTTP edge sets it to the
   * caller's token name; an event-bus caller without it is recorded as {@link #BUS_ACTOR}.
   */
  public static final String HEADER_ACTOR = "actor";
  public static final String BUS_ACTOR = "event-bus";
  /** How long a caller should wait: a write is one short transaction, but it may queue behind others. */
  public static final long SEND_TIMEOUT_MS = 5_000;
  /** An erasure rewrites every row of a learner (thousands) and may wait for the report fold's lock. */
  public static final long FORGET_TIMEOUT_MS = 60_000;

  private AdminApi() {}

  /** How long a caller should wait for {@code method}. */
  public static long sendTimeoutMs(String method) {
    return FORGET_LEARNER.equals(method) ? FORGET_TIMEOUT_MS : SEND_TIMEOUT_MS;
  }

  public static String address(String method) {
    return AGENT + "." + method;
  }

  /** A failure that keeps the JSON-RPC error's {@code data} when the reply stays in this JVM. */
  public static final class Failure extends BusMethods.Failure {
    public Failure(int code, String message, JsonObject data) {
      super(code, message, data);
    }
  }
}
