package viralengine.report;

import org.apache.commons.math3.distribution.PoissonDistribution;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

import java.util.Locale;

/**
 * A/A tests read once a day (bench/peeking.sh): both arms have the same true joins per learner, so every interval
 * of the lift that excludes 0 on some day is a false positive. Over many simulated experiments it counts how many
 * were ever declared significant by day d, reading the fixed-horizon 95% Wald interval ({@link Intervals}) and the
 * always-valid one ({@link Sequential}) with loop_report's own code. Joins are Poisson per learner, so a day's
 * joins in an arm are Poisson(learners × rate).
 *
 * <p>{@code java -cp target/classes:commons-math3.jar viralengine.report.PeekingSimulation RUNS DAYS
 * LEARNERS_PER_DAY HOLDOUT_SHARE RATE TUNING_N SEED}: prints one CSV line per day, {@code day,fixed,sequential}, the
 * share of experiments with a false positive so far.
 */
public final class PeekingSimulation {
  /** Cumulative false-positive shares per day, index 0 = day 1. */
  public record Result(double[] fixed, double[] sequential) {}

  private PeekingSimulation() {}

  public static Result run(int runs, int days, int learnersPerDay, double holdoutShare, double rate, long tuningN,
      long seed) {
    RandomGenerator random = new Well19937c(seed);
    long holdoutPerDay = Math.round(learnersPerDay * holdoutShare);
    long treatmentPerDay = learnersPerDay - holdoutPerDay;
    PoissonDistribution treatmentJoins = new PoissonDistribution(random, treatmentPerDay * rate,
        PoissonDistribution.DEFAULT_EPSILON, PoissonDistribution.DEFAULT_MAX_ITERATIONS);
    PoissonDistribution holdoutJoins = new PoissonDistribution(random, holdoutPerDay * rate,
        PoissonDistribution.DEFAULT_EPSILON, PoissonDistribution.DEFAULT_MAX_ITERATIONS);
    int[] fixedBy = new int[days];
    int[] sequentialBy = new int[days];
    for (int run = 0; run < runs; run++) {
      long xt = 0;
      long xh = 0;
      int fixedDay = -1;
      int sequentialDay = -1;
      for (int day = 0; day < days; day++) {
        xt += treatmentJoins.sample();
        xh += holdoutJoins.sample();
        long nt = treatmentPerDay * (day + 1);
        long nh = holdoutPerDay * (day + 1);
        if (fixedDay < 0 && excludesZero(Intervals.rateDifference(xt, nt, xh, nh))) {
          fixedDay = day;
        }
        if (sequentialDay < 0 && excludesZero(Sequential.rateDifference(xt, nt, xh, nh, tuningN))) {
          sequentialDay = day;
        }
      }
      mark(fixedBy, fixedDay);
      mark(sequentialBy, sequentialDay);
    }
    return new Result(cumulative(fixedBy, runs), cumulative(sequentialBy, runs));
  }

  private static boolean excludesZero(Intervals.Interval interval) {
    return interval != null && (interval.low() > 0 || interval.high() < 0);
  }

  private static void mark(int[] firstBy, int day) {
    if (day >= 0) {
      firstBy[day]++;
    }
  }

  private static double[] cumulative(int[] firstBy, int runs) {
    double[] shares = new double[firstBy.length];
    int sum = 0;
    for (int day = 0; day < firstBy.length; day++) {
      sum += firstBy[day];
      shares[day] = (double) sum / runs;
    }
    return shares;
  }

  public static void main(String[] args) {
    Result result = run(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
        Double.parseDouble(args[3]), Double.parseDouble(args[4]), Long.parseLong(args[5]), Long.parseLong(args[6]));
    System.out.println("day,fixed,sequential");
    for (int day = 0; day < result.fixed().length; day++) {
      System.out.println(String.format(Locale.ROOT, "%d,%.4f,%.4f", day + 1, result.fixed()[day], result.sequential()[day]));
    }
  }
}
