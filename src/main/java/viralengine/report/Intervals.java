package viralengine.report;

/**
 * 95% intervals for loop_report's figures (docs/measure-and-learn.md, "Intervals"). Pure functions of counts.
 *
 * <ul>
 *   <li>{@link #wilson}: a proportion x/n, the Wilson score interval (R's {@code prop.test(x, n, correct = FALSE)}).
 *   It stays inside [0, 1] and behaves at x = 0 and x = n, where the Wald interval collapses to a point.</li>
 *   <li>{@link #poissonRate}: a count per unit x/n that may exceed 1 (invites per exposed learner, the K-factor,
 *   joins per learner): x is taken as Poisson with n fixed, and the interval is built on the log scale by the delta
 *   method, (x/n)·exp(±z/√x). At x = 0 it is [0, −ln(0.025)/n], the exact Poisson upper bound.</li>
 *   <li>{@link #rateDifference}: the lift, a difference of two such rates, by Wald on the difference, with each
 *   count's variance taken as max(x, 1) so that a zero count does not give a zero-width interval.</li>
 * </ul>
 */
public final class Intervals {
  /** The 97.5% quantile of the standard normal: a two-sided 95% interval. */
  public static final double Z = 1.959963984540054;
  /** −ln(0.025): the exact 97.5% upper bound of a Poisson mean after observing 0. */
  static final double POISSON_ZERO_UPPER = -Math.log(0.025);

  /** A point estimate with its interval. */
  public record Interval(double value, double low, double high) {}

  private Intervals() {}

  /** The Wilson score interval of x successes in n trials; null when n = 0 or x is not in [0, n]. */
  public static Interval wilson(long x, long n) {
    if (n <= 0 || x < 0 || x > n) {
      return null;
    }
    double p = (double) x / n;
    double z2 = Z * Z;
    double denominator = 1 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / denominator;
    double half = Z / denominator * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
    return new Interval(p, Math.max(0, centre - half), Math.min(1, centre + half));
  }

  /** The rate x/n with a log-scale Poisson interval; null when n = 0 or x is negative. */
  public static Interval poissonRate(long x, long n) {
    if (n <= 0 || x < 0) {
      return null;
    }
    double rate = (double) x / n;
    if (x == 0) {
      return new Interval(0, 0, POISSON_ZERO_UPPER / n);
    }
    double spread = Math.exp(Z / Math.sqrt(x));
    return new Interval(rate, rate / spread, rate * spread);
  }

  /** (xt/nt − xh/nh) with a Wald interval; null when either n is 0. */
  public static Interval rateDifference(long xt, long nt, long xh, long nh) {
    if (nt <= 0 || nh <= 0 || xt < 0 || xh < 0) {
      return null;
    }
    double difference = (double) xt / nt - (double) xh / nh;
    double se = Math.sqrt(Math.max(xt, 1) / ((double) nt * nt) + Math.max(xh, 1) / ((double) nh * nh));
    return new Interval(difference, difference - Z * se, difference + Z * se);
  }
}
