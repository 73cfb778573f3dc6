package viralengine.report;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SNIPS on simulated logs: a stochastic logging policy with known propensities over three arms with known join
 * rates; the estimate of "always arm 0" (what priority would do) against that policy's measured value.
 */
class OffPolicyTest {
  static final double[] PROPENSITIES = {0.2, 0.5, 0.3};
  static final double[] RATES = {0.3, 0.1, 0.2};

  static OffPolicy.Sums log(int decisions, SplittableRandom random) {
    long matched = 0;
    double w = 0, wr = 0, w2 = 0, w2r = 0, w2r2 = 0;
    for (int i = 0; i < decisions; i++) {
      double u = random.nextDouble();
      int arm = u < PROPENSITIES[0] ? 0 : u < PROPENSITIES[0] + PROPENSITIES[1] ? 1 : 2;
      double r = random.nextDouble() < RATES[arm] ? 1 : 0;
      if (arm == 0) {
        double weight = 1 / PROPENSITIES[0];
        matched++;
        w += weight;
        wr += weight * r;
        w2 += weight * weight;
        w2r += weight * weight * r;
        w2r2 += weight * weight * r * r;
      }
    }
    return new OffPolicy.Sums(decisions, matched, w, wr, w2, w2r, w2r2);
  }

  /** The target policy really run: its joins per decision. */
  static double measured(int decisions, SplittableRandom random) {
    int joins = 0;
    for (int i = 0; i < decisions; i++) {
      joins += random.nextDouble() < RATES[0] ? 1 : 0;
    }
    return (double) joins / decisions;
  }

  @Test
  void theEstimateOfAKnownPolicyLandsWithinItsIntervalOfThatPolicysMeasuredValue() {
    SplittableRandom random = new SplittableRandom(27);
    Intervals.Interval estimate = OffPolicy.snips(log(5_000, random));
    double measured = measured(5_000, random);
    assertTrue(estimate.low() <= measured && measured <= estimate.high(), measured + " in " + estimate);
    assertTrue(estimate.low() <= RATES[0] && RATES[0] <= estimate.high(), "and the true value: " + estimate);
  }

  @Test
  void theIntervalCoversTheTrueValueAboutNineteenTimesInTwenty() {
    SplittableRandom random = new SplittableRandom(5);
    int covered = 0;
    int runs = 400;
    for (int run = 0; run < runs; run++) {
      Intervals.Interval estimate = OffPolicy.snips(log(2_000, random));
      covered += estimate.low() <= RATES[0] && RATES[0] <= estimate.high() ? 1 : 0;
    }
    assertTrue(covered >= 0.92 * runs && covered <= 0.98 * runs, covered + " of " + runs);
  }

  @Test
  void noEstimateWithoutADecisionTheTargetAgreesWith() {
    assertNull(OffPolicy.snips(new OffPolicy.Sums(10, 0, 0, 0, 0, 0, 0)));
  }
}
