package viralengine.http;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.FailurePolicy;
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
  public static CircuitBreaker orchestrator(Vertx vertx, AppConfig config, ServiceMetrics metrics) {
    CircuitBreaker breaker = CircuitBreaker.create("orchestrator", vertx, new CircuitBreakerOptions()
        .setTimeout(config.orchestrator().timeoutMs())
        .setMaxFailures(config.breaker().maxFailures())
        .setFailuresRollingWindow(config.breaker().failureWindowMs())
        .setResetTimeout(config.breaker().resetTimeoutMs())
        .setNotificationAddress(null));
    metrics.breaker(() -> state(breaker));
    return breaker.failurePolicy(Breakers.<Object>countsAgainstOrchestrator())
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

  /** A caller's bad input is not the orchestrator's failure, so it must not open the circuit. */
  static <T> FailurePolicy<T> countsAgainstOrchestrator() {
    return future -> future.failed() && !(future.cause() instanceof ReplyException reply
        && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && ErrorCodes.isCallerError(reply.failureCode()));
  }

  /** {@code closed}, {@code open} or {@code half_open}. */
  public static String state(CircuitBreaker breaker) {
    return breaker.state().name().toLowerCase(Locale.ROOT);
  }
}
