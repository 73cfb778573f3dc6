package viralengine.report;

/**
 * Off-policy evaluation: what a deterministic policy (here {@code priority}) would have earned per decision, from
 * decisions another policy made and logged with their propensities. Self-normalised inverse propensity scoring
 * (SNIPS; Swaminathan and Joachims, "The Self-Normalized Estimator for Counterfactual Learning", NeurIPS 2015): a
 * logged decision whose loop is the one the target policy would have chosen gets weight w = 1/propensity, every other
 * one weight 0, and the estimate is Σ w·r / Σ w. Its 95% interval is the delta method's for a ratio:
 * Var ≈ Σ w²·(r − estimate)² / (Σ w)². It is consistent when every loop the target could choose had a positive
 * propensity (Thompson's 1 % floor guarantees it) and the logged propensities are the ones the choices were made with.
 */
public final class OffPolicy {
  /** Sums over the logged decisions: n, Σw, Σw·r, Σw², Σw²·r, Σw²·r² (w = 0 where the target disagrees). */
  public record Sums(long decisions, long matched, double w, double wr, double w2, double w2r, double w2r2) {}

  private OffPolicy() {}

  /** The estimate with its interval; null when no logged decision agrees with the target policy. */
  public static Intervals.Interval snips(Sums s) {
    if (s.matched() == 0 || !(s.w() > 0)) {
      return null;
    }
    double estimate = s.wr() / s.w();
    double variance = (s.w2r2() - 2 * estimate * s.w2r() + estimate * estimate * s.w2()) / (s.w() * s.w());
    double half = Intervals.Z * Math.sqrt(Math.max(variance, 0));
    return new Intervals.Interval(estimate, Math.max(0, estimate - half), estimate + half);
  }
}
