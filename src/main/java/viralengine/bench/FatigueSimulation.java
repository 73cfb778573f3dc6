package viralengine.bench;

import io.vertx.core.json.JsonObject;
import viralengine.decision.Decider;
import viralengine.decision.Evaluation;
import viralengine.decision.Experiment;
import viralengine.learners.History;
import viralengine.decision.Posteriors;
import viralengine.decision.Situation;
import viralengine.decision.Strategy;
import viralengine.learners.Learner;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;
import viralengine.report.Intervals;
import viralengine.report.Sequential;
import viralengine.targeting.Condition;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * bench/fatigue.sh: the decision core (Decider, in process, no HTTP or database) against a world with fatigue, and
 * the guardrail's time to pause, with loop_report's own interval code.
 *
 * <p><b>Fatigue world.</b> Three loops, one event type, LEARNERS learners who each trigger one decision a day for
 * DAYS days (at a random hour). Loop i's invite rate for a learner is base_i · (1 − drop_i · e^(−d/τ_i)), d the days
 * since that learner was last shown loop i (never: full rate). {@code burst} is the best when rested (12 %) but
 * drops to 12 % of that right after a showing and recovers with τ = 3 days; {@code steady} (7 %) barely tires;
 * {@code middle} (9 %, drop 50 %, τ = 1 day). The regret of a decision is the best expected rate for that learner at
 * that moment minus the chosen loop's; the bandit's snapshot is rebuilt every hour from the last 1,000 selections of
 * each loop (as the service's refresher does), with the reward drawn at once.
 *
 * <p>{@code java -cp target/viral-engine.jar viralengine.bench.FatigueSimulation regret SEEDS LEARNERS DAYS} prints
 * {@code day,<strategy>...}: the cumulative regret per decision, averaged over the seeds, then a summary line per
 * strategy on stderr. {@code ... guardrail RUNS PER_DAY HOLDOUT_SHARE DISMISS MAX_INCREASE} prints the days the
 * guardrail took to pause a loop whose treated learners dismiss it at rate DISMISS (checked hourly, learners arriving
 * evenly), as percentiles, and the share never paused within 30 days.
 */
public final class FatigueSimulation {
  static final String EVENT = "practice_completed";
  static final double[] BASE = {0.12, 0.09, 0.07};
  static final double[] DROP = {0.88, 0.5, 0.1};
  static final double[] TAU_DAYS = {3, 1, 1};
  static final String[] NAMES = {"burst", "middle", "steady"};
  static final int WINDOW = 1_000;

  private FatigueSimulation() {}

  static double rate(int loop, Instant lastSeen, Instant now) {
    if (lastSeen == null) {
      return BASE[loop];
    }
    double days = Duration.between(lastSeen, now).toSeconds() / 86_400.0;
    return BASE[loop] * (1 - DROP[loop] * Math.exp(-days / TAU_DAYS[loop]));
  }

  static List<Loop> loops() {
    List<Loop> loops = new ArrayList<>();
    for (int i = 0; i < NAMES.length; i++) {
      loops.add(new Loop(i + 1, NAMES[i], NAMES[i], "", true, List.of(EVENT), 10 - i, 0.2, List.of("social"),
          Loop.Audience.ANYONE, new JsonObject(), Condition.parse(new JsonObject()), 0, 0,
          new JsonObject().put("type", "show_share_modal"), 1));
    }
    return loops;
  }

  /** One run: cumulative regret at the end of each day, per decision. */
  static double[] regret(Strategy strategy, long seed, int learners, int days) {
    SplittableRandom world = new SplittableRandom(seed);
    SplittableRandom choices = new SplittableRandom(seed * 31 + 7);
    Catalog catalog = new Catalog(loops(), List.of(), 1);
    Experiment base = new Experiment("sim", 0, Map.of(), strategy, Posteriors.EMPTY, choices);
    Instant start = Instant.parse("2026-01-05T00:00:00Z");
    Instant[][] lastSeen = new Instant[learners][NAMES.length];
    List<Deque<double[]>> recent = new ArrayList<>();
    for (int i = 0; i < NAMES.length; i++) {
      recent.add(new ArrayDeque<>());
    }
    double[] byDay = new double[days];
    double cumulative = 0;
    long decisions = 0;
    Posteriors snapshot = Posteriors.EMPTY;
    for (int day = 0; day < days; day++) {
      int[] order = new int[learners];
      long[] at = new long[learners];
      for (int l = 0; l < learners; l++) {
        order[l] = l;
        at[l] = world.nextLong(86_400);
      }
      Integer[] sorted = Arrays.stream(order).boxed().sorted((a, b) -> Long.compare(at[a], at[b])).toArray(Integer[]::new);
      long nextRefresh = 0;
      for (int l : sorted) {
        if (at[l] >= nextRefresh) {
          snapshot = snapshot(recent);
          nextRefresh = at[l] - at[l] % 3_600 + 3_600;
        }
        Instant now = start.plus(Duration.ofDays(day)).plusSeconds(at[l]);
        List<History.Selection> seen = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
          if (lastSeen[l][i] != null) {
            seen.add(new History.Selection(i + 1, lastSeen[l][i]));
          }
        }
        Learner learner = new Learner("sim-" + l, ZoneOffset.UTC, null, null, "unknown", false, new JsonObject());
        Evaluation evaluation = Decider.decide(catalog, new Situation(learner, EVENT, new JsonObject(),
            new History(seen, Map.of()), now, base.forDecision(Map.of(), snapshot)));
        int chosen = (int) evaluation.chosen().id() - 1;
        double best = 0;
        for (int i = 0; i < NAMES.length; i++) {
          best = Math.max(best, rate(i, lastSeen[l][i], now));
        }
        double expected = rate(chosen, lastSeen[l][chosen], now);
        cumulative += best - expected;
        decisions++;
        int bucket = Posteriors.Recency.bucket(lastSeen[l][chosen] == null ? null
            : Duration.between(lastSeen[l][chosen], now).toSeconds());
        Deque<double[]> log = recent.get(chosen);
        log.addFirst(new double[] {bucket, world.nextDouble() < expected ? 1 : 0});
        if (log.size() > WINDOW) {
          log.removeLast();
        }
        lastSeen[l][chosen] = now;
      }
      byDay[day] = cumulative / decisions;
    }
    return byDay;
  }

  /** What the service's refresher would read: per loop, its last WINDOW selections, also by recency bucket. */
  static Posteriors snapshot(List<Deque<double[]>> recent) {
    Map<Posteriors.Arm, Posteriors.Stats> arms = new HashMap<>();
    Map<Posteriors.Recency, Posteriors.Stats> byRecency = new HashMap<>();
    for (int i = 0; i < recent.size(); i++) {
      long trials = 0;
      long successes = 0;
      long[][] buckets = new long[3][2];
      for (double[] selection : recent.get(i)) {
        trials++;
        successes += (long) selection[1];
        buckets[(int) selection[0]][0]++;
        buckets[(int) selection[0]][1] += (long) selection[1];
      }
      arms.put(new Posteriors.Arm(i + 1, EVENT), new Posteriors.Stats(trials, successes));
      for (int b = 0; b < 3; b++) {
        byRecency.put(new Posteriors.Recency(i + 1, b), new Posteriors.Stats(buckets[b][0], buckets[b][1]));
      }
    }
    return new Posteriors(arms, byRecency);
  }

  /** Days until the guardrail paused the loop (checked hourly), or -1 when it did not within 30 days. */
  static double daysToPause(SplittableRandom random, int perDay, double holdoutShare, double dismiss, double maxIncrease) {
    long nt = 0;
    long xt = 0;
    long nh = 0;
    double perHour = perDay / 24.0;
    double carry = 0;
    for (int hour = 1; hour <= 30 * 24; hour++) {
      carry += perHour;
      for (; carry >= 1; carry--) {
        if (random.nextDouble() < holdoutShare) {
          nh++;
        } else {
          nt++;
          xt += random.nextDouble() < dismiss ? 1 : 0;
        }
      }
      if (nt >= 100) {
        Intervals.Interval interval = Sequential.proportionDifference(xt, nt, 0, nh, 5_000);
        if (interval != null && interval.low() > maxIncrease) {
          return hour / 24.0;
        }
      }
    }
    return -1;
  }

  public static void main(String[] args) {
    if (args[0].equals("regret")) {
      int seeds = Integer.parseInt(args[1]);
      int learners = Integer.parseInt(args[2]);
      int days = Integer.parseInt(args[3]);
      Strategy[] strategies = {Strategy.PRIORITY, Strategy.THOMPSON, Strategy.RECOVERING};
      double[][] mean = new double[strategies.length][days];
      for (int s = 0; s < strategies.length; s++) {
        double[] finals = new double[seeds];
        for (int seed = 1; seed <= seeds; seed++) {
          double[] run = regret(strategies[s], seed, learners, days);
          for (int d = 0; d < days; d++) {
            mean[s][d] += run[d] / seeds;
          }
          finals[seed - 1] = run[days - 1];
        }
        System.err.println(String.format(Locale.ROOT, "%s: regret per decision after %d days, seeds 1-%d: %s",
            strategies[s].wire(), days, seeds, Arrays.toString(Arrays.stream(finals)
                .mapToObj(v -> String.format(Locale.ROOT, "%.5f", v)).toArray())));
      }
      System.out.println("day,priority,thompson,recovering");
      for (int d = 0; d < days; d++) {
        System.out.println(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f", d + 1, mean[0][d], mean[1][d], mean[2][d]));
      }
    } else {
      int runs = Integer.parseInt(args[1]);
      int perDay = Integer.parseInt(args[2]);
      double holdout = Double.parseDouble(args[3]);
      double dismiss = Double.parseDouble(args[4]);
      double maxIncrease = Double.parseDouble(args[5]);
      SplittableRandom random = new SplittableRandom(1);
      double[] days = new double[runs];
      int never = 0;
      for (int r = 0; r < runs; r++) {
        days[r] = daysToPause(random, perDay, holdout, dismiss, maxIncrease);
        never += days[r] < 0 ? 1 : 0;
      }
      double[] paused = Arrays.stream(days).filter(d -> d >= 0).sorted().toArray();
      System.out.println(String.format(Locale.ROOT, "dismiss %.2f vs max_increase %.2f, %d learners a day: paused %.1f %%"
              + " of %d runs within 30 days; days to pause p10 %s, median %s, p90 %s", dismiss, maxIncrease, perDay,
          100.0 * (runs - never) / runs, runs, pct(paused, 0.1), pct(paused, 0.5), pct(paused, 0.9)));
    }
  }

  private static String pct(double[] sorted, double q) {
    return sorted.length == 0 ? "-" : String.format(Locale.ROOT, "%.2f", sorted[(int) Math.min(sorted.length - 1, q * sorted.length)]);
  }
}
