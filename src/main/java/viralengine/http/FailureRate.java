package viralengine.http;

import viralengine.config.AppConfig;

import java.util.function.LongSupplier;

/**
 * The outcomes of the calls that ended in the last {@code windowMs}, in ten buckets, and whether enough of them
 * failed to open the circuit. A count of failures alone opens on a handful of slow calls among thousands (a cold
 * JIT, one learner's backlog); a rate over a minimum number of calls does not, and still sees a dead orchestrator
 * within a window at load (Resilience4j's failure-rate threshold and minimum number of calls, on a time-based
 * sliding window).
 *
 * <p>Shared by every HTTP event loop of the process, so its methods are synchronized; each is a few array reads.
 */
final class FailureRate {
  static final int BUCKETS = 10;
  private final int thresholdPercent;
  private final int minimumCalls;
  private final int trialCalls;
  private final long bucketNanos;
  private final LongSupplier nanos;
  private final long[] bucketIndex = new long[BUCKETS];
  private final int[] calls = new int[BUCKETS];
  private final int[] failures = new int[BUCKETS];
  /** Calls since the circuit closed after a trial call; the first {@code trialCalls} of them are judged on probation. */
  private int sinceTrial = Integer.MAX_VALUE;

  FailureRate(AppConfig.Breaker settings, LongSupplier nanos) {
    this.thresholdPercent = settings.failureRatePercent();
    this.minimumCalls = settings.minimumCalls();
    this.trialCalls = Math.min(settings.trialCalls(), settings.minimumCalls());
    this.bucketNanos = Math.max(1, settings.windowMs() * 1_000_000 / BUCKETS);
    this.nanos = nanos;
    java.util.Arrays.fill(bucketIndex, Long.MIN_VALUE);
  }

  /** Records one call's outcome; true when the window now says the circuit should open. */
  synchronized boolean record(boolean failed) {
    long index = nanos.getAsLong() / bucketNanos;
    int slot = (int) Math.floorMod(index, BUCKETS);
    if (bucketIndex[slot] != index) {
      bucketIndex[slot] = index;
      calls[slot] = 0;
      failures[slot] = 0;
    }
    calls[slot]++;
    if (failed) {
      failures[slot]++;
    }
    if (sinceTrial < Integer.MAX_VALUE) {
      sinceTrial++;
    }
    return failed && tripped(index);
  }

  /** The circuit closed after a successful trial call: forget the outage, and judge the next calls on probation. */
  synchronized void closedAfterTrial() {
    java.util.Arrays.fill(bucketIndex, Long.MIN_VALUE);
    sinceTrial = 0;
  }

  /** Calls and failures in the window, for health and tests: {@code [calls, failures]}. */
  synchronized int[] counts() {
    return counts(nanos.getAsLong() / bucketNanos);
  }

  private boolean tripped(long now) {
    int[] counts = counts(now);
    int minimum = sinceTrial <= trialCalls ? trialCalls : minimumCalls;
    return counts[0] >= minimum && counts[1] * 100L >= (long) thresholdPercent * counts[0];
  }

  private int[] counts(long now) {
    int total = 0;
    int failed = 0;
    for (int i = 0; i < BUCKETS; i++) {
      if (bucketIndex[i] > now - BUCKETS) {
        total += calls[i];
        failed += failures[i];
      }
    }
    return new int[] {total, failed};
  }
}
