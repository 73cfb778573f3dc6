package viralengine.http;

import io.vertx.circuitbreaker.FailurePolicy;
import io.vertx.circuitbreaker.TimeoutException;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.Test;
import viralengine.admission.Pressure;
import viralengine.rpc.ErrorCodes;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What counts against the orchestrator: its failures and its slowness, never the callers' overload. */
class OverloadBreakerPolicyTest {
  long now = 5_000_000_000L;
  final Pressure pressure = new Pressure(() -> now);
  final FailurePolicy<Object> policy = Breakers.countsAgainstOrchestrator(pressure);

  static Future<Object> reply(int code) {
    return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, "x"));
  }

  @Test
  void aTimeoutCountsWhileNobodyIsShed() {
    assertTrue(policy.test(Future.failedFuture(TimeoutException.INSTANCE)));
  }

  @Test
  void aTimeoutWhileCallersAreShedIsOverloadAndDoesNotCount() {
    pressure.shed();
    assertFalse(policy.test(Future.failedFuture(TimeoutException.INSTANCE)));
    now += 2_000_000_000L;
    assertTrue(policy.test(Future.failedFuture(TimeoutException.INSTANCE)), "the pressure passes");
  }

  @Test
  void theOrchestratorsOwnDeadlineWhileCallersAreShedDoesNotCount() {
    assertTrue(policy.test(reply(ErrorCodes.TIMEOUT)), "a deadline missed with nobody shed is the orchestrator's");
    pressure.shed();
    assertFalse(policy.test(reply(ErrorCodes.TIMEOUT)));
    assertTrue(policy.test(reply(ErrorCodes.INTERNAL_ERROR)), "a failure still counts under pressure");
    now += 2_000_000_000L;
    assertTrue(policy.test(reply(ErrorCodes.TIMEOUT)), "the pressure passes");
  }

  @Test
  void theOrchestratorsOwnOverloadDoesNotCountItsFailuresDo() {
    assertFalse(policy.test(reply(ErrorCodes.OVERLOADED)));
    assertFalse(policy.test(reply(ErrorCodes.INVALID_PARAMS)));
    assertTrue(policy.test(reply(ErrorCodes.INTERNAL_ERROR)));
    assertTrue(policy.test(Future.failedFuture(new ReplyException(ReplyFailure.NO_HANDLERS, "none"))));
    assertFalse(policy.test(Future.succeededFuture("ok")));
  }
}
