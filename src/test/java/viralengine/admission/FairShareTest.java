package viralengine.admission;

import org.junit.jupiter.api.Test;
import viralengine.config.AppConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fair share per caller inside the bound (fixed here, so only the sharing is under test), with a driven clock. */
class FairShareTest {
  static final int MAX = 20;
  long now = 1_000_000_000L;
  final List<String> shed = new ArrayList<>();
  final Pressure pressure = new Pressure(() -> now);
  final Admission admission = new Admission(new AppConfig.Limits(1_048_576, 100, MAX, 0, 16_384, 8, 32, 65_536, 0),
      () -> now, pressure, shed::add);

  int fill(String caller) {
    int admitted = 0;
    while (admission.tryAcquire(caller, 1) != null) {
      admitted++;
    }
    return admitted;
  }

  void seen(String caller) {
    Admission.Ticket ticket = admission.tryAcquire(caller, 1);
    assertNotNull(ticket);
    ticket.release(null);
  }

  @Test
  void aCallerAloneMayUseTheWholeBound() {
    assertEquals(MAX, fill("A"));
    assertEquals(List.of("A"), shed);
  }

  @Test
  void aFloodTakesOnlyWhatLeavesTheOtherCallerItsShare() {
    seen("B");
    assertEquals(MAX / 2, fill("A"), "A stops at its half: B is owed the other half");
    assertEquals(MAX / 2, fill("B"), "B finds its whole share free");
    assertEquals(List.of("A", "B"), shed);
    assertEquals(MAX / 2, admission.inFlight("A"));
  }

  @Test
  void whenTheBoundIsFullTheCallerOverItsShareIsShedAndThePermitsItFreesGoToTheOther() {
    List<Admission.Ticket> held = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      held.add(admission.tryAcquire("A", 1));
    }
    // B arrives while A alone holds the bound: B is shed this once, and from now on is owed its share.
    assertNull(admission.tryAcquire("B", 1));
    // As A's answers come back, the permits freed are B's: A, over its share, is shed first.
    for (int i = 0; i < MAX / 2; i++) {
      held.get(i).release(null);
    }
    shed.clear();
    assertNull(admission.tryAcquire("A", 1), "A still holds its whole share");
    assertEquals(List.of("A"), shed);
    assertEquals(MAX / 2, fill("B"));
  }

  /** Timers driven by hand: {@link #expire} fires every wait's end. */
  final List<Runnable> pendingTimers = new ArrayList<>();
  final List<Long> cancelled = new ArrayList<>();
  final Admission.Timers handTimers = new Admission.Timers() {
    @Override
    public long set(long delayMs, Runnable action) {
      assertEquals(Admission.MAX_WAIT_MS, delayMs);
      pendingTimers.add(action);
      return pendingTimers.size() - 1;
    }

    @Override
    public void cancel(long id) {
      cancelled.add(id);
    }
  };

  void expire() {
    List<Runnable> due = new ArrayList<>(pendingTimers);
    for (int i = 0; i < due.size(); i++) {
      if (!cancelled.contains((long) i)) {
        due.get(i).run();
      }
    }
  }

  @Test
  void aCallerOwedItsShareWaitsForTheNextFreedPermitInsteadOfBeingShed() {
    admission.waitingWith(handTimers);
    List<Admission.Ticket> held = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      held.add(admission.tryAcquire("A", 1));
    }
    List<Admission.Ticket> handed = new ArrayList<>();
    admission.acquire("B", 1, handed::add);
    assertEquals(List.of(), handed, "B waits: the bound is full");
    assertEquals(List.of(), shed, "and is not shed");
    // A, over its share now that B is seen, is shed at once; it does not wait.
    admission.acquire("A", 1, handed::add);
    assertEquals(1, handed.size());
    assertNull(handed.get(0));
    assertEquals(List.of("A"), shed);

    held.get(0).release(null);
    assertEquals(2, handed.size(), "the permit A freed went to B");
    assertNotNull(handed.get(1));
    assertEquals(1, admission.inFlight("B"));
    expire();
    assertEquals(2, handed.size(), "B's wait ended when it was served: its timer does nothing");
  }

  @Test
  void aWaitThatSeesNoPermitFreedEndsInAShed() {
    admission.waitingWith(handTimers);
    fill("A");
    shed.clear();
    List<Admission.Ticket> handed = new ArrayList<>();
    admission.acquire("B", 1, handed::add);
    assertEquals(List.of(), handed);
    expire();
    assertEquals(1, handed.size());
    assertNull(handed.get(0));
    assertEquals(List.of("B"), shed);
  }

  @Test
  void withoutTimersACallerOwedItsShareIsShedAtOnceAsBefore() {
    fill("A");
    shed.clear();
    List<Admission.Ticket> handed = new ArrayList<>();
    admission.acquire("B", 1, handed::add);
    assertEquals(1, handed.size());
    assertNull(handed.get(0));
  }

  @Test
  void aCallerShedOverAHundredTimesASecondIsHeldBackLongerUntilItStops() {
    Admission paced = new Admission(new AppConfig.Limits(1_048_576, 100, MAX, 0, 16_384, 8, 32, 65_536, 100),
        () -> now, pressure, shed::add);
    while (paced.tryAcquire("A", 1) != null) {
      // A fills the bound
    }
    arrive(paced, "B");
    for (int i = 1; i < Admission.FLOOD_SHEDS_PER_SECOND; i++) {
      assertNull(paced.tryAcquire("A", 1));
    }
    assertEquals(100, paced.shedDelayMs("A"), "shed often, not yet a flood");
    assertNull(paced.tryAcquire("A", 1));
    assertNull(paced.tryAcquire("A", 1));
    assertEquals(100L * Admission.FLOOD_DELAY_FACTOR, paced.shedDelayMs("A"));
    assertEquals(100, paced.shedDelayMs("B"), "the other caller keeps the short pause");
    now += TimeUnit.MILLISECONDS.toNanos(1_000);
    assertEquals(100L * Admission.FLOOD_DELAY_FACTOR, paced.shedDelayMs("A"), "last second's sheds still count");
    now += TimeUnit.MILLISECONDS.toNanos(1_000);
    assertEquals(100, paced.shedDelayMs("A"), "two quiet seconds later, the short pause again");
  }

  /** One call of {@code caller}, admitted or shed: from now on it counts towards the shares. */
  static void arrive(Admission admission, String caller) {
    admission.tryAcquire(caller, 1);
  }

  @Test
  void aCallerQuietForASecondNoLongerHoldsAShare() {
    seen("B");
    now += TimeUnit.MILLISECONDS.toNanos(Admission.ACTIVE_MS + 1);
    assertEquals(MAX, fill("A"));
  }

  @Test
  void threeCallersGetAThirdEach() {
    seen("B");
    seen("C");
    assertEquals(MAX - 2 * (MAX / 3), fill("A"));
    assertEquals(MAX / 3, fill("B"));
    assertEquals(MAX / 3, fill("C"));
  }

  @Test
  void aShedRaisesThePressureForASecond() {
    assertFalse(pressure.overloaded());
    fill("A");
    assertTrue(pressure.overloaded());
    now += TimeUnit.MILLISECONDS.toNanos(Pressure.HOLD_MS + 1);
    assertFalse(pressure.overloaded());
  }

  @Test
  void aBatchTakesAllOrNoneOfItsShare() {
    seen("B");
    assertNull(admission.tryAcquire("A", MAX / 2 + 1), "more than A may take");
    assertNotNull(admission.tryAcquire("A", MAX / 2));
    assertEquals(MAX / 2, admission.inFlight());
  }
}
