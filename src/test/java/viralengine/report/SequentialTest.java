package viralengine.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The always-valid interval: its closed form, always wider than the fixed one, and what it buys in A/A tests read
 * every day for 30 days (the same simulation as bench/peeking.sh, fewer runs).
 */
class SequentialTest {
  @Test
  void theHalfWidthIsTheNormalMixtureBoundary() {
    // At n = tuningN: τ² = V·c with c = 2·ln 20 + ln(1 + 2·ln 20), so the half-width is √(V·(1 + 1/c)·(ln(1 + c) + 2·ln 20)).
    double c = 2 * Math.log(20) + Math.log(1 + 2 * Math.log(20));
    double v = 0.0004;
    assertEquals(Math.sqrt(v * (1 + 1 / c) * (Math.log(1 + c) + 2 * Math.log(20))), Sequential.halfWidth(v, 5_000, 5_000), 1e-12);
    for (long n : new long[] {10, 500, 5_000, 50_000, 5_000_000}) {
      assertTrue(Sequential.halfWidth(v, n, 5_000) > Intervals.Z * Math.sqrt(v), "wider than the fixed interval at " + n);
    }
  }

  @Test
  void intervalsStayInTheirRangeAndAreUndefinedWithoutData() {
    Intervals.Interval p = Sequential.proportion(0, 20, 5_000);
    assertEquals(0, p.low());
    assertTrue(p.high() > 0 && p.high() <= 1);
    assertEquals(1, Sequential.proportion(20, 20, 5_000).high());
    assertEquals(0, Sequential.rate(0, 10, 5_000).low());
    assertEquals(null, Sequential.rate(3, 0, 5_000));
    assertEquals(null, Sequential.rateDifference(3, 10, 1, 0, 5_000));
  }

  @Test
  void peekingDailyForThirtyDaysKeepsTheSequentialFalsePositiveRateUnderFivePercent() {
    for (double holdout : new double[] {0.5, 0.05}) {
      PeekingSimulation.Result result = PeekingSimulation.run(2_000, 30, 1_000, holdout, 0.05, 5_000, 7);
      double fixed = result.fixed()[29];
      double sequential = result.sequential()[29];
      assertTrue(sequential <= 0.05, "holdout " + holdout + ": sequential " + sequential);
      assertTrue(fixed > 0.15, "holdout " + holdout + ": peeking at the fixed interval inflates it: " + fixed);
    }
  }
}
