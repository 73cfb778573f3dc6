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
