package viralengine.report;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chi-square goodness-of-fit check against values computed with R's chisq.test. */
class SrmTest {
  @Test
  void matchesRsChisqTestForAnUnequalSplit() {
    // chisq.test(c(880, 120), p = c(0.9, 0.1)): X-squared = 4.4444, df = 1, p-value = 0.03501
    Srm.Result result = Srm.holdout(10, 880, 120);
    assertEquals(0.03501, result.pValue(), 1e-5);
    assertEquals(900.0, result.expected().get("treatment"), 1e-9);
    assertFalse(result.alarm());
  }

  @Test
  void weightsNeedNotSumToOne() {
    // chisq.test(c(300, 200, 100), p = c(2, 2, 1) / 5): X-squared = 25, df = 2, p-value = 3.727e-06
    Map<String, Double> shares = new LinkedHashMap<>(Map.of("a", 2.0));
    shares.put("b", 2.0);
    shares.put("c", 1.0);
    Map<String, Long> observed = new LinkedHashMap<>(Map.of("a", 300L));
    observed.put("b", 200L);
    observed.put("c", 100L);
    Srm.Result result = Srm.test(shares, observed);
    assertEquals(3.727e-06, result.pValue(), 1e-8);
    assertTrue(result.alarm());
  }

  @Test
  void noTestWithoutLearnersOrWithOneArm() {
    assertNull(Srm.holdout(10, 0, 0).pValue());
    assertNull(Srm.holdout(0, 50, 0).pValue());
    assertFalse(Srm.holdout(0, 50, 0).alarm());
  }

  @Test
  void aLearnerWhereNoneShouldBeIsAMismatch() {
    assertEquals(0.0, Srm.holdout(0, 50, 1).pValue());
    assertTrue(Srm.holdout(100, 1, 50).alarm());
  }
}
