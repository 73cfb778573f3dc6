package viralengine.targeting;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The condition language beyond the shared vectors: each operator's edges, types, bounds and error paths. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConditionTest {

  static JsonObject doc(String json) {
    return new JsonObject(json);
  }

  /** Attributes with {@code context.v} set to {@code value} (null means present and null). */
  static JsonObject v(Object value) {
    return new JsonObject().put("context", new JsonObject().put("v", value)).put("event_type", "practice_completed");
  }

  static boolean matches(String condition, Object value) {
    return Condition.parse(doc(condition)).matches(v(value));
  }

  static InvalidCondition invalid(String condition) {
    return assertThrows(InvalidCondition.class, () -> Condition.parse(doc(condition)));
  }

  /** Asserts the parse error's path and that its reason contains {@code reason}. */
  static void invalid(String condition, String path, String reason) {
    InvalidCondition e = invalid(condition);
    assertEquals(path, e.path(), e.getMessage());
    assertTrue(e.reason().contains(reason), e.reason());
    assertEquals(path + ": " + e.reason(), e.getMessage());
  }

  // ---- empty and null documents

  @Test
  void aNullOrEmptyDocumentMatchesEverythingEvenNoAttributes() {
    for (Condition c : new Condition[] {Condition.parse(null), Condition.parse(new JsonObject())}) {
      assertTrue(c.matches(new JsonObject()));
      assertTrue(c.matches(null));
      assertNull(c.failingPath(v(1)));
    }
  }

  // ---- $eq and bare values

  @Test
  void numbersAreEqualByValueWhateverTheirJavaType() {
    assertTrue(matches("{\"context.v\": 72}", 72L));
    assertTrue(matches("{\"context.v\": 72}", 72.0d));
    assertTrue(matches("{\"context.v\": 72}", 72.0f));
    assertTrue(matches("{\"context.v\": 72}", new BigDecimal("72.000")));
    assertTrue(matches("{\"context.v\": 72}", BigInteger.valueOf(72)));
    assertTrue(matches("{\"context.v\": 0.1}", new BigDecimal("0.1")));
    assertFalse(matches("{\"context.v\": 72}", 72.5d));
    assertFalse(matches("{\"context.v\": 72}", 73));
  }

  @Test
  void aLongBeyondTwoToTheFiftyThirdIsNotEqualToTheNearestDouble() {
    Condition exact = Condition.parse(new JsonObject().put("context.v", 9_007_199_254_740_993L));
    assertTrue(exact.matches(v(9_007_199_254_740_993L)));
    assertFalse(exact.matches(v(9_007_199_254_740_992.0d)), "the double is 2^53, one less than the long");
    assertFalse(exact.matches(v(9_007_199_254_740_992L)));
  }

  @Test
  void aStringNeverEqualsANumberAndABooleanNeverEqualsEither() {
    assertFalse(matches("{\"context.v\": \"72\"}", 72));
    assertFalse(matches("{\"context.v\": 72}", "72"));
    assertFalse(matches("{\"context.v\": 1}", true));
    assertFalse(matches("{\"context.v\": true}", 1));
    assertFalse(matches("{\"context.v\": true}", "true"));
    assertTrue(matches("{\"context.v\": true}", true));
    assertFalse(matches("{\"context.v\": true}", false));
    assertTrue(matches("{\"context.v\": \"free\"}", "free"));
    assertFalse(matches("{\"context.v\": \"free\"}", "Free"));
    assertTrue(matches("{\"context.v\": {\"$eq\": \"free\"}}", "free"));
  }

  @Test
  void aMissingOrNullAttributeFailsEqualityEvenWithNull() {
    Condition isNull = Condition.parse(doc("{\"context.v\": null}"));
    assertFalse(isNull.matches(v(null)), "a null attribute counts as missing");
    assertFalse(isNull.matches(new JsonObject()));
    assertFalse(isNull.matches(v(0)));
    assertEquals("context.v", isNull.failingPath(v(null)));
    assertFalse(Condition.parse(doc("{\"context.v\": 1}")).matches(new JsonObject()));
  }

  @Test
  void nanEqualsNothingAndDoesNotBreakEvaluation() {
    assertFalse(matches("{\"context.v\": 1}", Double.NaN));
    assertFalse(Condition.parse(new JsonObject().put("context.v", Double.NaN)).matches(v(Double.NaN)));
    assertTrue(matches("{\"context.v\": {\"$ne\": 1}}", Double.NaN));
    assertFalse(matches("{\"context.v\": {\"$gt\": 1}}", Double.NaN));
    assertFalse(matches("{\"context.v\": {\"$lte\": 1}}", Double.NaN));
    assertFalse(matches("{\"context.v\": {\"$in\": [1, 2]}}", Double.NaN));
    Condition belowNaN = Condition.parse(new JsonObject().put("context.v", new JsonObject().put("$lt", Double.NaN)));
    assertFalse(belowNaN.matches(v(1)), "nothing orders against a NaN operand");
    assertFalse(belowNaN.matches(v(Double.NEGATIVE_INFINITY)));
    assertTrue(Condition.parse(new JsonObject().put("context.v", new JsonObject().put("$nin", new JsonArray().add(Double.NaN))))
        .matches(v(Double.NaN)), "NaN is not in a set that holds NaN");
  }

  @Test
  void infinitiesCompareAsDoubles() {
    assertTrue(matches("{\"context.v\": {\"$gt\": 1e300}}", Double.POSITIVE_INFINITY));
    assertTrue(matches("{\"context.v\": {\"$lt\": -5}}", Double.NEGATIVE_INFINITY));
    assertTrue(matches("{\"context.v\": {\"$lt\": 5}}", Float.NEGATIVE_INFINITY));
    assertFalse(matches("{\"context.v\": {\"$lt\": 5}}", Double.POSITIVE_INFINITY));
    assertFalse(matches("{\"context.v\": 5}", Double.POSITIVE_INFINITY));
    assertTrue(Condition.parse(new JsonObject().put("context.v", Double.POSITIVE_INFINITY)).matches(v(Double.POSITIVE_INFINITY)));
    assertTrue(Condition.parse(new JsonObject().put("context.v", new JsonObject().put("$gt", Double.NEGATIVE_INFINITY)))
        .matches(v(0)));
  }

  // ---- $ne

  @Test
  void neMatchesMissingNullAndDifferentTypesButNotAnEqualValue() {
    String ne = "{\"context.v\": {\"$ne\": 5}}";
    assertTrue(matches(ne, null));
    assertTrue(Condition.parse(doc(ne)).matches(new JsonObject()));
    assertTrue(matches(ne, "5"));
    assertTrue(matches(ne, 6));
    assertFalse(matches(ne, 5.0d));
    assertFalse(matches(ne, new BigDecimal("5.00")));
  }

  // ---- $in and $nin

  @Test
  void inAndNinCompareEachMemberByValueAndType() {
    String in = "{\"context.v\": {\"$in\": [1, \"two\", true]}}";
    assertTrue(matches(in, 1.0d));
    assertTrue(matches(in, "two"));
    assertTrue(matches(in, true));
    assertFalse(matches(in, "1"));
    assertFalse(matches(in, 2));
    assertFalse(matches(in, null));
    assertFalse(matches("{\"context.v\": {\"$in\": []}}", 1), "an empty set holds nothing");

    String nin = "{\"context.v\": {\"$nin\": [1, \"two\"]}}";
    assertFalse(matches(nin, 1L));
    assertFalse(matches(nin, "two"));
    assertTrue(matches(nin, "1"));
    assertTrue(matches(nin, 3));
    assertFalse(matches(nin, null), "$nin fails on a missing attribute");
    assertTrue(matches("{\"context.v\": {\"$nin\": []}}", 1));
  }

  // ---- ordering

  @Test
  void orderingOperatorsAtBelowAndAboveTheBound() {
    Object[][] table = {
        // op, value below, equal, above
        {"$gt", false, false, true},
        {"$gte", false, true, true},
        {"$lt", true, false, false},
        {"$lte", true, true, false},
    };
    for (Object[] row : table) {
      String c = "{\"context.v\": {\"" + row[0] + "\": 10}}";
      assertEquals(row[1], matches(c, 9.99d), row[0] + " below");
      assertEquals(row[2], matches(c, new BigDecimal("10.0")), row[0] + " equal");
      assertEquals(row[3], matches(c, 11L), row[0] + " above");
      assertFalse(matches(c, null), row[0] + " missing");
      assertFalse(matches(c, "10"), row[0] + " string vs number");
      assertFalse(matches(c, true), row[0] + " boolean");
    }
  }

  @Test
  void stringsOrderLexicographicallyAndNeverAgainstNumbers() {
    assertTrue(matches("{\"context.v\": {\"$lt\": \"b\"}}", "abc"));
    assertFalse(matches("{\"context.v\": {\"$lt\": \"abc\"}}", "abc"));
    assertTrue(matches("{\"context.v\": {\"$lte\": \"abc\"}}", "abc"));
    assertTrue(matches("{\"context.v\": {\"$gt\": \"ab\"}}", "abc"));
    assertFalse(matches("{\"context.v\": {\"$gt\": \"b\"}}", "abc"));
    assertFalse(matches("{\"context.v\": {\"$gte\": \"a\"}}", 5));
    assertFalse(matches("{\"context.v\": {\"$gte\": 5}}", "a"));
  }

  @Test
  void orderingWithAnExtremeMagnitudeStaysExact() {
    assertTrue(matches("{\"context.v\": {\"$gt\": 9007199254740992}}", 9_007_199_254_740_993L));
    assertFalse(matches("{\"context.v\": {\"$gt\": 9007199254740993}}", 9_007_199_254_740_992.0d));
    assertTrue(matches("{\"context.v\": {\"$lt\": 0.30000000000000004}}", new BigDecimal("0.3")));
  }

  // ---- $exists

  @Test
  void existsSeesPresenceNotTruth() {
    assertTrue(matches("{\"context.v\": {\"$exists\": true}}", 0));
    assertTrue(matches("{\"context.v\": {\"$exists\": true}}", false));
    assertTrue(matches("{\"context.v\": {\"$exists\": true}}", ""));
    assertFalse(matches("{\"context.v\": {\"$exists\": true}}", null), "null counts as missing");
    assertTrue(matches("{\"context.v\": {\"$exists\": false}}", null));
    assertFalse(matches("{\"context.v\": {\"$exists\": false}}", 0));
  }

  // ---- paths

  @Test
  void pathsWalkNestedObjectsAndStopAtNonObjects() {
    JsonObject attrs = new JsonObject().put("learner", new JsonObject().put("age", 11)
        .put("attributes", new JsonObject().put("cohort", new JsonObject().put("size", 6)).put("plan", "free")));
    assertTrue(Condition.parse(doc("{\"learner.attributes.cohort.size\": 6}")).matches(attrs));
    assertFalse(Condition.parse(doc("{\"learner.attributes.plan.tier\": {\"$exists\": true}}")).matches(attrs),
        "a path through a string is missing");
    assertTrue(Condition.parse(doc("{\"learner.attributes.plan.tier\": {\"$exists\": false}}")).matches(attrs));
    assertFalse(Condition.parse(doc("{\"learner.age.years\": {\"$ne\": 3, \"$exists\": true}}")).matches(attrs));
    assertTrue(Condition.parse(doc("{\"learner\": {\"$exists\": true}}")).matches(attrs));
    assertTrue(Condition.parse(doc("{\"event_type\": {\"$exists\": false}}")).matches(attrs));
  }

  @Test
  void failingPathNamesTheFirstFailingAttribute() {
    Condition c = Condition.parse(doc("{\"context.v\": {\"$gte\": 1}, \"event_type\": \"session_ended\"}"));
    assertEquals("context.v", c.failingPath(v(0)));
    assertEquals("event_type", c.failingPath(v(1)));
    assertFalse(c.matches(v(1)));
    Condition both = Condition.parse(doc("{\"context.v\": {\"$gte\": 1, \"$lt\": 5}}"));
    assertNull(both.failingPath(v(3)));
    assertEquals("context.v", both.failingPath(v(5)));
    assertEquals("context.v", both.failingPath(v(0)));
  }

  @Test
  void badPathsAreRefusedNamingThePath() {
    invalid("{\"score\": 1}", "score", "must start with one of [context, event_type, learner]");
    invalid("{\"user.age\": 1}", "user.age", "must start with one of");
    invalid("{\"context..score\": 1}", "context..score", "is not an attribute path");
    invalid("{\"context.\": 1}", "context.", "is not an attribute path");
    invalid("{\".context\": 1}", ".context", "is not an attribute path");
    invalid("{\"context.sco re\": 1}", "context.sco re", "is not an attribute path");
    invalid("{\"context.a-b\": 1}", "context.a-b", "is not an attribute path");
    invalid("{\"\": 1}", "", "is not an attribute path");
    invalid("{\"context." + "x".repeat(65) + "\": 1}", "context." + "x".repeat(65), "is not an attribute path");
    assertTrue(Condition.parse(doc("{\"context." + "x".repeat(64) + "\": 1}")).matches(
        new JsonObject().put("context", new JsonObject().put("x".repeat(64), 1))), "64 characters is a valid name");
    assertTrue(Condition.parse(doc("{\"learner.attributes.Cohort_2\": 1}")).matches(new JsonObject()
        .put("learner", new JsonObject().put("attributes", new JsonObject().put("Cohort_2", 1)))));
  }

  // ---- operator validation

  @Test
  void unknownOperatorsAreRefusedNamingTheirPath() {
    invalid("{\"context.score\": {\"$regex\": \"7\"}}", "context.score.$regex", "is not a known operator");
    invalid("{\"context.score\": {\"$gt\": 1, \"lt\": 5}}", "context.score.lt", "is not a known operator");
    invalid("{\"$nor\": []}", "$nor", "is not a known operator");
    invalid("{\"$eq\": 1}", "$eq", "is not a known operator");
  }

  @Test
  void operandsOfTheWrongKindAreRefused() {
    invalid("{\"context.v\": {\"$in\": 5}}", "context.v.$in", "takes an array");
    invalid("{\"context.v\": {\"$nin\": \"a\"}}", "context.v.$nin", "takes an array");
    invalid("{\"context.v\": {\"$in\": {\"a\": 1}}}", "context.v.$in", "takes an array");
    invalid("{\"context.v\": {\"$exists\": 1}}", "context.v.$exists", "takes true or false");
    invalid("{\"context.v\": {\"$exists\": null}}", "context.v.$exists", "takes true or false");
    for (String op : new String[] {"$gt", "$gte", "$lt", "$lte"}) {
      invalid("{\"context.v\": {\"" + op + "\": true}}", "context.v." + op, "compares with a number or a string");
      invalid("{\"context.v\": {\"" + op + "\": null}}", "context.v." + op, "compares with a number or a string");
      invalid("{\"context.v\": {\"" + op + "\": [1]}}", "context.v." + op, "compares with a number or a string");
    }
    invalid("{\"context.v\": {\"$eq\": [1]}}", "context.v.$eq", "not an object or array");
    invalid("{\"context.v\": {\"$ne\": {\"$gt\": 1}}}", "context.v.$ne", "not an object or array");
    invalid("{\"context.v\": [1, 2]}", "context.v.$eq", "not an object or array");
    invalid("{\"context.v\": {\"a\": 1}}", "context.v.$eq", "not an object or array");
    invalid("{\"context.v\": {}}", "context.v.$eq", "not an object or array");
  }

  // ---- $and, $or, $not

  @Test
  void andNeedsEveryBranchAndNamesTheFailingPath() {
    Condition c = Condition.parse(doc("{\"$and\": [{\"context.v\": {\"$gte\": 1}}, {\"context.v\": {\"$lt\": 5}}]}"));
    assertTrue(c.matches(v(1)));
    assertFalse(c.matches(v(0)));
    assertEquals("context.v", c.failingPath(v(5)));
    assertTrue(Condition.parse(doc("{\"$and\": [{}]}")).matches(v(0)), "an empty branch matches");
  }

  @Test
  void orNeedsOneBranchAndIsNamedWhenNoneHolds() {
    Condition c = Condition.parse(doc("{\"$or\": [{\"context.v\": 1}, {\"context.v\": 2}]}"));
    assertTrue(c.matches(v(1)));
    assertTrue(c.matches(v(2)));
    assertFalse(c.matches(v(3)));
    assertEquals("$or", c.failingPath(v(3)));
    assertEquals("$or", c.failingPath(new JsonObject()));
  }

  @Test
  void notInvertsItsDocument() {
    Condition c = Condition.parse(doc("{\"$not\": {\"context.v\": {\"$gt\": 5}}}"));
    assertTrue(c.matches(v(5)));
    assertTrue(c.matches(new JsonObject()), "not(missing > 5) holds");
    assertFalse(c.matches(v(6)));
    assertEquals("$not", c.failingPath(v(6)));
    assertFalse(Condition.parse(doc("{\"$not\": {}}")).matches(v(1)), "not(everything) is nothing");
  }

  @Test
  void logicalOperatorsCombineWithPathsAtTheSameLevel() {
    Condition c = Condition.parse(doc("{\"event_type\": \"practice_completed\","
        + " \"$or\": [{\"context.v\": {\"$lt\": 0}}, {\"$not\": {\"context.v\": {\"$lt\": 10}}}]}"));
    assertTrue(c.matches(v(-1)));
    assertTrue(c.matches(v(10)));
    assertFalse(c.matches(v(5)));
    assertEquals("event_type", c.failingPath(v(-1).put("event_type", "session_ended")));
  }

  @Test
  void logicalOperatorsRefuseMalformedOperandsNamingWhereTheyAre() {
    invalid("{\"$or\": {\"context.score\": 1}}", "$or", "takes a non-empty array of condition documents");
    invalid("{\"$and\": []}", "$and", "takes a non-empty array");
    invalid("{\"$and\": [{\"context.v\": 1}, 5]}", "$and[1]", "must be a condition document");
    invalid("{\"$or\": [[]]}", "$or[0]", "must be a condition document");
    invalid("{\"$not\": [{\"context.v\": 1}]}", "$not", "takes a condition document");
    invalid("{\"$not\": true}", "$not", "takes a condition document");
    invalid("{\"$and\": [{\"$or\": 5}]}", "$and[0].$or", "takes a non-empty array");
    invalid("{\"$not\": {\"$and\": [{\"context.v\": {\"$regex\": 1}}]}}", "$not.$and[0].context.v.$regex", "is not a known operator");
    invalid("{\"$or\": [{\"context.v\": 1}, {\"nope\": 1}]}", "$or[1].nope", "must start with one of");
    invalid("{\"$or\": [{\"$xor\": 1}]}", "$or[0].$xor", "is not a known operator");
  }

  // ---- size and nesting bounds

  /** {@code $not} nested so that the innermost document sits at {@code depth}. */
  static JsonObject nested(int depth) {
    JsonObject doc = new JsonObject().put("context.v", 1);
    for (int d = 1; d < depth; d++) {
      doc = new JsonObject().put("$not", doc);
    }
    return doc;
  }

  @Test
  void nestingIsBoundedAtMaxDepth() {
    Condition deepest = Condition.parse(nested(Condition.MAX_DEPTH));
    assertEquals(Condition.MAX_DEPTH % 2 == 1, deepest.matches(v(1)), "an even number of $not cancels out");
    InvalidCondition e = assertThrows(InvalidCondition.class, () -> Condition.parse(nested(Condition.MAX_DEPTH + 1)));
    assertEquals("$not" + ".$not".repeat(Condition.MAX_DEPTH - 1), e.path());
    assertTrue(e.reason().contains("deeper than " + Condition.MAX_DEPTH), e.reason());

    JsonObject viaAnd = new JsonObject().put("context.v", 1);
    for (int d = 1; d <= Condition.MAX_DEPTH; d++) {
      viaAnd = new JsonObject().put("$and", new JsonArray().add(viaAnd));
    }
    JsonObject tooDeep = viaAnd;
    assertEquals("$and[0]".repeat(1) + ".$and[0]".repeat(Condition.MAX_DEPTH - 1),
        assertThrows(InvalidCondition.class, () -> Condition.parse(tooDeep)).path());
  }

  @Test
  void keysInAllAreBoundedAtMaxNodes() {
    JsonObject atLimit = new JsonObject();
    for (int i = 0; i < Condition.MAX_NODES; i++) {
      atLimit.put("context.k" + i, i);
    }
    JsonObject attrs = new JsonObject().put("context", new JsonObject());
    for (int i = 0; i < Condition.MAX_NODES; i++) {
      attrs.getJsonObject("context").put("k" + i, i);
    }
    assertTrue(Condition.parse(atLimit).matches(attrs));
    atLimit.put("context.one_more", 1);
    InvalidCondition e = assertThrows(InvalidCondition.class, () -> Condition.parse(atLimit));
    assertEquals("$", e.path(), "the bound is on the whole document");
    assertTrue(e.reason().contains("more than " + Condition.MAX_NODES), e.reason());
  }

  @Test
  void operatorsAndNestedKeysCountTowardTheBound() {
    JsonObject ops = new JsonObject();
    JsonArray branches = new JsonArray();
    // the $or key (1) + each branch's path key (1) and its two operators (2): 1 + 3 * 85 = 256
    for (int i = 0; i < 85; i++) {
      branches.add(new JsonObject().put("context.v", new JsonObject().put("$gt", i).put("$lt", i + 2)));
    }
    ops.put("$or", branches);
    assertTrue(Condition.parse(ops).matches(v(50)));
    branches.add(new JsonObject().put("context.w", 1));
    InvalidCondition e = assertThrows(InvalidCondition.class, () -> Condition.parse(ops));
    assertEquals("$or[85]", e.path());
  }

  @Test
  void inValuesCountTowardTheBoundSoASetCannotGrowWithoutLimit() {
    JsonArray values = new JsonArray();
    for (int i = 0; i < Condition.MAX_NODES - 2; i++) { // the path key and the $in key take two
      values.add(i);
    }
    JsonObject doc = new JsonObject().put("context.v", new JsonObject().put("$in", values));
    assertTrue(Condition.parse(doc).matches(v(Condition.MAX_NODES - 3)));
    values.add(-1);
    InvalidCondition e = assertThrows(InvalidCondition.class, () -> Condition.parse(doc));
    assertEquals("context.v.$in", e.path());
    assertTrue(e.reason().contains("$in/$nin values"), e.reason());
  }
}
