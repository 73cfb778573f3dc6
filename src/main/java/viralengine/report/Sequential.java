package viralengine.report;

/**
 * Always-valid 95% intervals (confidence sequences) by the mixture sequential probability ratio test with a normal
 * mixture: Johari, Koomen, Pekelis and Walsh, "Always Valid Inference: Continuous Monitoring of A/B Tests"
 * (Operations Research 70(3), 2022; arXiv:1512.04922), the basis of Optimizely's Stats Engine. For an estimate
 * θ̂ that is approximately normal with variance V, the mixture likelihood ratio against θ, with θ ~ N(θ̂, τ²) as
 * the mixing distribution, stays under 1/α at every sample size with probability at least 1 − α (Ville's
 * inequality), which gives the interval
 *
 * <pre>  θ̂ ± √( V·(V + τ²)/τ² · (ln((V + τ²)/V) + 2·ln(1/α)) )</pre>
 *
 * valid however often it is read. τ² is set, as GrowthBook does, so that the interval is narrowest when the
 * estimate rests on {@code tuningN} units: τ² = σ²·ρ² with σ² = V·n the variance per unit and
 * ρ² = (2·ln(1/α) + ln(1 + 2·ln(1/α))) / tuningN. Before and after that size it is a little wider than it could
 * be; it is always wider than the fixed-horizon interval, which is the price of peeking.
 */
public final class Sequential {
  static final double ALPHA = 0.05;
  private static final double TWO_LOG_ONE_OVER_ALPHA = 2 * Math.log(1 / ALPHA);
  private static final double RHO_NUMERATOR = TWO_LOG_ONE_OVER_ALPHA + Math.log(1 + TWO_LOG_ONE_OVER_ALPHA);

  private Sequential() {}

  /** The half-width of the always-valid interval of an estimate with variance {@code variance} from n units. */
  public static double halfWidth(double variance, long n, long tuningN) {
    if (!(variance > 0) || n <= 0) {
      return Double.NaN;
    }
    double tau2 = variance * n * RHO_NUMERATOR / tuningN;
    return Math.sqrt(variance * (variance + tau2) / tau2 * (Math.log((variance + tau2) / variance) + TWO_LOG_ONE_OVER_ALPHA));
  }

  /** The interval around {@code estimate}; null when the estimate is null or the variance is not positive. */
  public static Intervals.Interval around(Intervals.Interval estimate, double variance, long n, long tuningN,
      double lowest, double highest) {
    double half = halfWidth(variance, n, tuningN);
    if (estimate == null || Double.isNaN(half)) {
      return null;
    }
    double value = estimate.value();
    return new Intervals.Interval(value, Math.max(lowest, value - half), Math.min(highest, value + half));
  }

  /** A proportion x/n: V = p(1 − p)/n, with p kept off 0 and 1 by half a count so the width never collapses. */
  public static Intervals.Interval proportion(long x, long n, long tuningN) {
    if (n <= 0 || x < 0 || x > n) {
      return null;
    }
    double p = Math.min(Math.max(x, 0.5), n - 0.5) / n;
    return around(new Intervals.Interval((double) x / n, 0, 1), p * (1 - p) / n, n, tuningN, 0, 1);
  }

  /** A count per unit x/n (Poisson): V = max(x, 1)/n². */
  public static Intervals.Interval rate(long x, long n, long tuningN) {
    if (n <= 0 || x < 0) {
      return null;
    }
    return around(new Intervals.Interval((double) x / n, 0, 0), Math.max(x, 1) / ((double) n * n), n, tuningN, 0,
        Double.POSITIVE_INFINITY);
  }

  /**
   * The lift xt/nt − xh/nh over nt + nh units. The variance is pooled, λ̂·(1/nt + 1/nh) with λ̂ = (xt + xh)/(nt + nh),
   * as a test of "no difference" takes it: with a small holdout, the unpooled variance shrinks whenever the
   * holdout's few joins happen to be low, and an interval read every day would catch those moments.
   */
  public static Intervals.Interval rateDifference(long xt, long nt, long xh, long nh, long tuningN) {
    Intervals.Interval fixed = Intervals.rateDifference(xt, nt, xh, nh);
    if (fixed == null) {
      return null;
    }
    double pooled = Math.max(xt + xh, 1) / (double) (nt + nh);
    double variance = pooled * (1.0 / nt + 1.0 / nh);
    return around(fixed, variance, nt + nh, tuningN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
  }

  /**
   * The difference of two proportions xt/nt − xh/nh, unpooled (a guardrail tests against a margin, not against 0),
   * each p kept off 0 and 1 by half a count; over nt + nh units. With no holdout learners (nh = 0) the holdout's
   * share is taken as 0 with no variance: a rate the holdout cannot have (it sees no loop to dismiss).
   */
  public static Intervals.Interval proportionDifference(long xt, long nt, long xh, long nh, long tuningN) {
    if (nt <= 0 || xt < 0 || xt > nt || nh < 0 || xh < 0 || xh > nh) {
      return null;
    }
    double pt = Math.min(Math.max(xt, 0.5), nt - 0.5) / nt;
    double variance = pt * (1 - pt) / nt;
    double difference = (double) xt / nt;
    if (nh > 0) {
      double ph = Math.min(Math.max(xh, 0.5), nh - 0.5) / nh;
      variance += ph * (1 - ph) / nh;
      difference -= (double) xh / nh;
    }
    return around(new Intervals.Interval(difference, 0, 0), variance, nt + nh, tuningN, -1, 1);
  }
}
