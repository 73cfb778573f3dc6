package viralengine.http;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.FailurePolicy;
import io.vertx.circuitbreaker.TimeoutException;
import viralengine.admission.Pressure;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import viralengine.config.AppConfig;
import viralengine.metrics.ServiceMetrics;
import viralengine.rpc.ErrorCodes;

import java.util.Locale;

/** The circuit breaker in front of the orchestrator: one per process, shared by every HTTP event loop. */
public final class Breakers {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Breakers.class);
  private Breakers() {}

  /** The breaker, with its state and transitions published as metrics. */
  public static CircuitBreaker orchestrator(Vertx vertx, AppConfig config, ServiceMetrics metrics, Pressure pressure) {
    CircuitBreaker breaker = CircuitBreaker.create("orchestrator", vertx, new CircuitBreakerOptions()
        .setTimeout(config.orchestrator().timeoutMs())
        .setMaxFailures(config.breaker().maxFailures())
        .setFailuresRollingWindow(config.breaker().failureWindowMs())
        .setResetTimeout(config.breaker().resetTimeoutMs())
        .setNotificationAddress(null));
    metrics.breaker(() -> state(breaker));
    return breaker.failurePolicy(Breakers.<Object>countsAgainstOrchestrator(pressure))
        .openHandler(v -> transition(metrics, "open"))
        .halfOpenHandler(v -> transition(metrics, "half_open"))
        .closeHandler(v -> transition(metrics, "closed"));
  }

  private static void transition(ServiceMetrics metrics, String to) {
    metrics.breakerTransition(to);
    if ("open".equals(to)) {
      LOG.warn("Circuit breaker opened: the orchestrator failed too often; answering in its place until a trial call succeeds");
    } else {
      LOG.info("Circuit breaker {}", to.replace('_', '-'));
    }
  }

  /**
   * What opens the circuit is the orchestrator failing or being slow, not the callers: a caller's bad
   * input, an overload the orchestrator reports (-32003, its decision log full), and a timeout (the
   * breaker's, or the orchestrator's own -32001 deadline) while the edge is shedding callers ({@link Pressure}: the call waited behind others on a busy event loop) do
   * not count. Admission handles overload by shedding at the edge.
   */
  static <T> FailurePolicy<T> countsAgainstOrchestrator(Pressure pressure) {
    return future -> {
      if (future.succeeded()) {
        return false;
      }
      Throwable cause = future.cause();
      if (cause instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        int code = reply.failureCode();
        if (code == ErrorCodes.TIMEOUT) {
          // The orchestrator's own deadline passed: under pressure, the time went waiting for a busy CPU.
          return !pressure.overloaded();
        }
        return !ErrorCodes.isCallerError(code) && code != ErrorCodes.OVERLOADED;
      }
      return !(cause instanceof TimeoutException && pressure.overloaded());
    };
  }

  /** {@code closed}, {@code open} or {@code half_open}. */
  public static String state(CircuitBreaker breaker) {
    return breaker.state().name().toLowerCase(Locale.ROOT);
  }
}
