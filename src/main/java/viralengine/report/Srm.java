package viralengine.report;

import io.vertx.core.json.JsonObject;
import org.apache.commons.math3.stat.inference.ChiSquareTest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sample-ratio mismatch check: a chi-square goodness-of-fit test of the learners each arm got against the split
 * the configuration asked for (Pearson's test, k − 1 degrees of freedom, commons-math3). A p-value under
 * {@link #ALARM_P} means the split is almost certainly not the configured one: something between the hash and the
 * log drops or adds learners on one side, and every comparison between the arms is suspect until it is explained.
 */
public final class Srm {
  /** The alarm's threshold: strict, because the check runs on every report and every gauge interval. */
  public static final double ALARM_P = 0.001;

  /**
   * One check: expected and observed learners per arm (in the same order), the p-value and the alarm; the p-value
   * is null (and there is no alarm) when fewer than two arms are expected to have learners or none were counted.
   */
  public record Result(Map<String, Double> expected, Map<String, Long> observed, Double pValue) {
    public boolean alarm() {
      return pValue != null && pValue < ALARM_P;
    }

    public JsonObject toJson() {
      JsonObject exp = new JsonObject();
      expected.forEach(exp::put);
      JsonObject obs = new JsonObject();
      observed.forEach(obs::put);
      return new JsonObject().put("expected", exp).put("observed", obs).put("p_value", pValue).put("alarm", alarm());
    }
  }

  private Srm() {}

  /** {@code shares} and {@code observed} name the same arms; shares need not sum to 1 (weights). */
  public static Result test(Map<String, Double> shares, Map<String, Long> observed) {
    double totalShare = shares.values().stream().mapToDouble(Double::doubleValue).sum();
    long total = observed.values().stream().mapToLong(Long::longValue).sum();
    Map<String, Double> expected = new LinkedHashMap<>();
    shares.forEach((arm, share) -> expected.put(arm, totalShare <= 0 ? 0 : total * share / totalShare));
    // An arm configured to get nobody: any learner there is a mismatch beyond doubt (the test cannot take a zero).
    for (Map.Entry<String, Double> arm : shares.entrySet()) {
      if (arm.getValue() <= 0 && observed.getOrDefault(arm.getKey(), 0L) > 0) {
        return new Result(expected, observed, 0.0);
      }
    }
    long armsWithShare = shares.values().stream().filter(share -> share > 0).count();
    if (total == 0 || armsWithShare < 2) {
      return new Result(expected, observed, null);
    }
    double[] e = shares.entrySet().stream().filter(arm -> arm.getValue() > 0)
        .mapToDouble(arm -> expected.get(arm.getKey())).toArray();
    long[] o = shares.entrySet().stream().filter(arm -> arm.getValue() > 0)
        .mapToLong(arm -> observed.getOrDefault(arm.getKey(), 0L)).toArray();
    return new Result(expected, observed, new ChiSquareTest().chiSquareTest(e, o));
  }

  /** The holdout check of one row: treatment and holdout learners against (100 − h) % and h %. */
  public static Result holdout(int holdoutPercent, long treatmentLearners, long holdoutLearners) {
    Map<String, Double> shares = new LinkedHashMap<>();
    shares.put("treatment", (100.0 - holdoutPercent) / 100);
    shares.put("holdout", holdoutPercent / 100.0);
    Map<String, Long> observed = new LinkedHashMap<>();
    observed.put("treatment", treatmentLearners);
    observed.put("holdout", holdoutLearners);
    return test(shares, observed);
  }
}
