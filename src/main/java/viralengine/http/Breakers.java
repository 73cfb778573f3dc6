package viralengine.http;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
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

  /**
   * The breaker, with its state and transitions published as metrics. Vert.x's breaker stays on the path (its
   * timeout, its open state that answers at once, its half-open trial call), but what opens it is a
   * {@link FailureRate} over a short window: its own count never reaches the maximum it is given.
   */
  public static CircuitBreaker orchestrator(Vertx vertx, AppConfig config, ServiceMetrics metrics, Pressure pressure) {
    return orchestrator(vertx, config, metrics, pressure, System::nanoTime);
  }

  static CircuitBreaker orchestrator(Vertx vertx, AppConfig config, ServiceMetrics metrics, Pressure pressure,
      java.util.function.LongSupplier nanos) {
    CircuitBreaker breaker = CircuitBreaker.create("orchestrator", vertx, new CircuitBreakerOptions()
        .setTimeout(config.orchestrator().timeoutMs())
        .setMaxFailures(Integer.MAX_VALUE)
        .setResetTimeout(config.breaker().resetTimeoutMs())
        .setNotificationAddress(null));
    metrics.breaker(() -> state(breaker));
    FailureRate rate = new FailureRate(config.breaker(), nanos);
    FailurePolicy<Object> counts = countsAgainstOrchestrator(pressure);
    return breaker.failurePolicy(judgedByRate(breaker, rate, counts))
        .openHandler(v -> transition(metrics, "open"))
        .halfOpenHandler(v -> transition(metrics, "half_open"))
        .closeHandler(v -> {
          rate.closedAfterTrial();
          transition(metrics, "closed");
        });
  }

  /**
   * Classifies each call and feeds the window while the circuit is closed, opening it when the window says so. In
   * half-open, Vert.x itself re-opens on a failed trial call and closes on a successful one.
   */
  static FailurePolicy<Object> judgedByRate(CircuitBreaker breaker, FailureRate rate, FailurePolicy<Object> counts) {
    return future -> {
      boolean failed = counts.test(future);
      if (breaker.state() == CircuitBreakerState.CLOSED && rate.record(failed)) {
        breaker.open();
      }
      return failed;
    };
  }

  private static void transition(ServiceMetrics metrics, String to) {
    metrics.breakerTransition(to);
    if ("open".equals(to)) {
      LOG.warn("Circuit breaker opened: too many of the orchestrator's recent calls failed or were too slow; answering"
          + " in its place until a trial call succeeds");
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
