package viralengine.agents;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import viralengine.config.AgentSettings;
import viralengine.metrics.ServiceMetrics;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;

import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * One peer agent as a decision reaches it: built in (its event-bus consumer {@code {agent}.{method}}) or remote
 * ({@link AgentClient}), behind a circuit breaker of its own. A call never fails: it comes to an {@link AgentReply}.
 * Timeouts, errors from the agent and answers that break the contract count against this agent's breaker only.
 */
public final class AgentLink implements AutoCloseable {
  /** Failures within {@link #FAILURE_WINDOW_MS} that open the circuit. */
  static final int MAX_FAILURES = 10;
  static final long FAILURE_WINDOW_MS = 10_000;
  /** How long the circuit stays open before one trial call goes through. */
  static final long RESET_TIMEOUT_MS = 5_000;
  static final int MAX_RESPONSE_BYTES = 64 * 1024;

  private final String agent;
  private final long timeoutMs;
  private final Vertx vertx;
  private final AgentClient remote;
  private final CircuitBreaker breaker;
  private final ServiceMetrics metrics;

  AgentLink(Vertx vertx, AgentSettings.Agent settings, ServiceMetrics metrics) {
    this.agent = settings.name();
    this.timeoutMs = settings.timeoutMs();
    this.vertx = vertx;
    this.metrics = metrics;
    this.remote = settings.remote() ? AgentClient.create(vertx, settings.url(), agent,
        new AgentClientOptions(settings.timeoutMs(), MAX_FAILURES, FAILURE_WINDOW_MS, RESET_TIMEOUT_MS,
            MAX_RESPONSE_BYTES).withBearerToken(settings.token())) : null;
    // No timeout of the breaker's own: each call has its budget (see call).
    this.breaker = CircuitBreaker.create("agent-" + agent, vertx, new CircuitBreakerOptions()
            .setTimeout(-1).setMaxFailures(MAX_FAILURES).setFailuresRollingWindow(FAILURE_WINDOW_MS)
            .setResetTimeout(RESET_TIMEOUT_MS).setNotificationAddress(null))
        .failurePolicy(done -> done.failed() && countsAgainstAgent(done.cause()));
    metrics.agent(agent, this::state);
  }

  public String agent() {
    return agent;
  }

  /** {@code agents.<name>.timeout_ms}: this agent's own budget per call. */
  public long timeoutMs() {
    return timeoutMs;
  }

  /** {@code closed}, {@code open} or {@code half_open}. */
  public String state() {
    return breaker.state().name().toLowerCase(Locale.ROOT);
  }

  /** Closes the circuit, forgetting its failures: the warm-up's cold calls are nobody's outage. */
  void reset() {
    breaker.reset();
  }

  /**
   * Calls {@code method} with {@code params}, waiting at most {@code timeoutMs}; {@code validate} cuts the answer down
   * to its contract or throws {@link InvalidAnswer}. A budget of zero or less makes no call: outcome timeout (or
   * circuit_open while the circuit is open). A
   * rehearsal's call (the start-up warm-up) is left out of the metrics, as its decision is.
   */
  public Future<AgentReply> call(String method, JsonObject params, long timeoutMs, UnaryOperator<JsonObject> validate,
      boolean rehearsal) {
    long start = System.nanoTime();
    if (timeoutMs <= 0) {
      AgentReply.Outcome outcome = breaker.state() == CircuitBreakerState.OPEN ? AgentReply.Outcome.CIRCUIT_OPEN
          : AgentReply.Outcome.TIMEOUT;
      return Future.succeededFuture(reply(method, outcome, null, start, rehearsal));
    }
    return breaker.<JsonObject>execute(() -> inTime(send(method, params, timeoutMs), timeoutMs).map(validate))
        .map(result -> reply(method, AgentReply.Outcome.OK, result, start, rehearsal))
        .otherwise(failure -> reply(method, outcome(failure), null, start, rehearsal));
  }

  /**
   * The answer, or a timeout once the budget is spent: a timer of our own, because the transport's timeouts start
   * later (the HTTP client's once a connection is had) and the decision's deadline does not wait for them.
   */
  private Future<JsonObject> inTime(Future<JsonObject> answer, long timeoutMs) {
    if (answer.isComplete()) {
      return answer;
    }
    Promise<JsonObject> result = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> result.tryFail(new ReplyException(ReplyFailure.TIMEOUT,
        "Agent " + agent + ": no answer within " + timeoutMs + " ms")));
    answer.onComplete(done -> {
      vertx.cancelTimer(timer);
      if (done.succeeded()) {
        result.tryComplete(done.result());
      } else {
        result.tryFail(done.cause());
      }
    });
    return result.future();
  }

  private Future<JsonObject> send(String method, JsonObject params, long timeoutMs) {
    if (remote != null) {
      return remote.request(method, params, timeoutMs);
    }
    return vertx.eventBus().<Object>request(agent + "." + method, params, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(message -> {
          if (!(message.body() instanceof JsonObject result)) {
            throw new InvalidAnswer("the answer is not a JSON object");
          }
          return result;
        });
  }

  private AgentReply reply(String method, AgentReply.Outcome outcome, JsonObject result, long start,
      boolean rehearsal) {
    long nanos = System.nanoTime() - start;
    if (outcome != AgentReply.Outcome.ABSENT && !rehearsal) {
      metrics.agentCall(agent, outcome.code(), nanos);
    }
    return new AgentReply(agent, method, outcome, result, nanos / 1_000_000.0);
  }

  static AgentReply.Outcome outcome(Throwable failure) {
    if (failure instanceof OpenCircuitException) {
      return AgentReply.Outcome.CIRCUIT_OPEN;
    }
    if (failure instanceof InvalidAnswer) {
      return AgentReply.Outcome.INVALID;
    }
    if (failure instanceof ReplyException reply) {
      return switch (reply.failureType()) {
        case TIMEOUT -> AgentReply.Outcome.TIMEOUT;
        case NO_HANDLERS -> AgentReply.Outcome.ABSENT;
        default -> reply.failureCode() == ErrorCodes.TIMEOUT ? AgentReply.Outcome.TIMEOUT : AgentReply.Outcome.ERROR;
      };
    }
    if (failure instanceof RpcException rpc && rpc.code() == ErrorCodes.TIMEOUT) {
      return AgentReply.Outcome.TIMEOUT;
    }
    return AgentReply.Outcome.ERROR;
  }

  /** A built-in agent not deployed here, or one that rejected our input, is not an unhealthy agent. */
  private static boolean countsAgainstAgent(Throwable failure) {
    if (failure instanceof ReplyException reply) {
      return reply.failureType() != ReplyFailure.NO_HANDLERS
          && !(reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && ErrorCodes.isCallerError(reply.failureCode()));
    }
    return !(failure instanceof RpcException rpc && ErrorCodes.isCallerError(rpc.code()));
  }

  @Override
  public void close() {
    breaker.close();
    if (remote != null) {
      remote.close();
    }
  }
}
