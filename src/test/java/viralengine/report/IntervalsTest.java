package viralengine.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Reference values, not values computed by the code under test. The Wilson cases are the four worked examples of
 * Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17:857-872,
 * table I, method 3 (score interval without continuity correction), which R's prop.test(x, n, correct = FALSE)
 * reproduces. By hand for 81/263, with z = 1.959964, z² = 3.841459, p = 0.307985:
 * centre = (p + z²/2n) / (1 + z²/n) = (0.307985 + 0.007303) / 1.014606 = 0.310749;
 * half = z / 1.014606 · √(p(1−p)/n + z²/4n²) = 1.931732 · √(0.000810483 + 0.0000138844) = 1.931732 · 0.028712 = 0.055462;
 * so [0.2553, 0.3662].
 */
class IntervalsTest {
  static final double PUBLISHED = 0.00005; // the table gives four decimals

  @Test
  void wilsonMatchesNewcombesTable() {
    assertInterval(0.2553, 0.3662, Intervals.wilson(81, 263));
    assertInterval(0.0624, 0.1605, Intervals.wilson(15, 148));
    assertInterval(0.0000, 0.1611, Intervals.wilson(0, 20));
    assertInterval(0.0061, 0.1718, Intervals.wilson(1, 29));
  }

  @Test
  void wilsonOfHalfIsSymmetricAroundIt() {
    // 5/10: centre = (0.5 + 0.192073) / 1.384146 = 0.5 exactly; half = z/1.384146 · √(0.025 + 0.009604) = 0.266407
    Intervals.Interval half = Intervals.wilson(5, 10);
    assertEquals(0.5, half.value(), 1e-12);
    assertEquals(0.236593, half.low(), 1e-6);
    assertEquals(0.763407, half.high(), 1e-6);
  }

  @Test
  void wilsonOfAllSuccessesEndsAtOne() {
    // 29/29 mirrors 0/29: its upper end is 1, its lower end 1 − 0.116970 (z²/(n + z²) = 3.841459/32.841459)
    Intervals.Interval all = Intervals.wilson(29, 29);
    assertEquals(1.0, all.high(), 1e-12);
    assertEquals(0.883030, all.low(), 1e-6);
  }

  @Test
  void wilsonIsUndefinedWithoutTrialsOrWithMoreSuccessesThanTrials() {
    assertNull(Intervals.wilson(0, 0));
    assertNull(Intervals.wilson(3, 2));
    assertNull(Intervals.wilson(-1, 2));
  }

  @Test
  void poissonRateUsesTheLogScaleDeltaMethod() {
    // 16 per 100: exp(z/√16) = exp(0.489991) = 1.632302; 0.16 / 1.632302 = 0.098021, 0.16 · 1.632302 = 0.261168
    Intervals.Interval rate = Intervals.poissonRate(16, 100);
    assertEquals(0.16, rate.value(), 1e-12);
    assertEquals(0.098021, rate.low(), 1e-6);
    assertEquals(0.261168, rate.high(), 1e-6);
  }

  @Test
  void poissonRateOfZeroHasTheExactUpperBound() {
    // −ln(0.025) = 3.688879: after 0 events in 50 learners the rate is below 0.073778 with 97.5% confidence
    Intervals.Interval none = Intervals.poissonRate(0, 50);
    assertEquals(0, none.low());
    assertEquals(0.073778, none.high(), 1e-6);
    assertNull(Intervals.poissonRate(1, 0));
  }

  @Test
  void rateDifferenceIsWaldOnTheDifference() {
    // 30/100 − 10/100 = 0.2; se = √(30/10⁴ + 10/10⁴) = 0.063246; ± 1.959964 · se = ± 0.123959
    Intervals.Interval lift = Intervals.rateDifference(30, 100, 10, 100);
    assertEquals(0.2, lift.value(), 1e-12);
    assertEquals(0.076041, lift.low(), 1e-6);
    assertEquals(0.323959, lift.high(), 1e-6);
  }

  @Test
  void rateDifferenceCountsAZeroAsOneForItsVariance() {
    // 0/50 − 0/50: se = √(1/2500 + 1/2500) = 0.028284; ± 0.055437
    Intervals.Interval flat = Intervals.rateDifference(0, 50, 0, 50);
    assertEquals(0, flat.value(), 1e-12);
    assertEquals(-0.055437, flat.low(), 1e-6);
    assertEquals(0.055437, flat.high(), 1e-6);
    assertNull(Intervals.rateDifference(1, 10, 0, 0));
  }

  private static void assertInterval(double low, double high, Intervals.Interval actual) {
    assertEquals(low, actual.low(), PUBLISHED, "low");
    assertEquals(high, actual.high(), PUBLISHED, "high");
  }
}
