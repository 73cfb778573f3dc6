package viralengine.admission;

import org.junit.jupiter.api.Test;
import viralengine.config.AppConfig;
import viralengine.rpc.ErrorCodes;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adaptive bound, driven by a clock the test moves: answers are "slow" or "fast" by how far the
 * clock moved while their permits were held. The HTTP-level behaviour is in http.AdaptiveAdmissionTest.
 */
class AdmissionTest {
  static final int TARGET_MS = 50;
  long now = 1_000_000_000L;

  Admission admission(int max, int targetMs) {
    return new Admission(new AppConfig.Limits(1_048_576, 100, max, targetMs, 16_384, 8, 32, 65_536, 0), () -> now);
  }

  /** The whole bound in flight at once, answered {@code ms} later with {@code code} (null: a result). */
  void round(Admission admission, long ms, Integer code) {
    int n = admission.limit();
    Admission.Ticket ticket = admission.tryAcquire(n);
    assertNotNull(ticket, "the bound admits its own size");
    assertNull(admission.tryAcquire(1), "and nothing beyond it");
    now += TimeUnit.MILLISECONDS.toNanos(ms);
    for (int i = 0; i < n; i++) {
      ticket.release(code);
    }
  }

  @Test
  void startsAtTheInitialBoundAndAdmitsAllOrNoneOfABatch() {
    Admission admission = admission(100, TARGET_MS);
    assertEquals(Admission.INITIAL_LIMIT, admission.limit());
    Admission.Ticket most = admission.tryAcquire(Admission.INITIAL_LIMIT - 1);
    assertNotNull(most);
    assertNull(admission.tryAcquire(2), "a batch that does not fit takes nothing");
    assertEquals(Admission.INITIAL_LIMIT - 1, admission.inFlight());
    assertTrue(admission.overloadedMessage().contains("limits.max_concurrent_requests=100"));
  }

  @Test
  void lateWindowsLowerTheBoundByATenthEachDownToTheFloor() {
    Admission admission = admission(100, TARGET_MS);
    int previous = admission.limit();
    boolean lowered = false;
    for (int i = 0; i < 200; i++) {
      round(admission, TARGET_MS + 10, null);
      int limit = admission.limit();
      assertTrue(limit <= previous, "late answers never raise the bound");
      assertTrue(limit >= previous * 0.9 - 1, "one window lowers it by a tenth at most: " + previous + " -> " + limit);
      lowered |= limit < previous;
      previous = limit;
    }
    assertTrue(lowered);
    assertEquals(Admission.MIN_LIMIT, admission.limit());
    assertTrue(admission.overloadedMessage().contains("limits.target_latency_ms"), admission.overloadedMessage());
  }

  @Test
  void windowsInTimeRaiseTheBoundToTheMaximumAndNoFurther() {
    Admission admission = admission(60, TARGET_MS);
    for (int i = 0; i < 2_000 && admission.limit() < 60; i++) {
      round(admission, 20, null);
    }
    assertEquals(60, admission.limit());
    for (int i = 0; i < 50; i++) {
      round(admission, 20, null);
    }
    assertEquals(60, admission.limit(), "limits.max_concurrent_requests is the ceiling");
  }

  @Test
  void onePauseCostsATenthNotTheWholeBound() {
    Admission admission = admission(100, TARGET_MS);
    round(admission, 20, null);
    round(admission, 200, null); // every answer in flight caught by one long pause
    round(admission, 20, null);
    assertTrue(admission.limit() >= Admission.INITIAL_LIMIT * 0.9, "got " + admission.limit());
  }

  @Test
  void timeoutsAndOverloadFurtherInLowerItEvenWhenFast() {
    Admission admission = admission(100, TARGET_MS);
    for (int i = 0; i < 20; i++) {
      round(admission, 20, i % 2 == 0 ? ErrorCodes.TIMEOUT : ErrorCodes.OVERLOADED);
    }
    assertTrue(admission.limit() < Admission.INITIAL_LIMIT, "got " + admission.limit());
  }

  @Test
  void anOpenCircuitSaysNothingAboutLatency() {
    Admission admission = admission(100, TARGET_MS);
    for (int i = 0; i < 20; i++) {
      round(admission, 200, ErrorCodes.CIRCUIT_OPEN);
    }
    assertEquals(Admission.INITIAL_LIMIT, admission.limit());
  }

  @Test
  void aTargetOfZeroKeepsTheBoundFixedAtTheMaximum() {
    Admission admission = admission(30, 0);
    assertEquals(30, admission.limit());
    for (int i = 0; i < 20; i++) {
      round(admission, 500, ErrorCodes.TIMEOUT);
    }
    assertEquals(30, admission.limit());
  }
}
