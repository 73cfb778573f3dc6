package viralengine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import viralengine.frequency.Period;
import viralengine.targeting.Condition;
import viralengine.targeting.InvalidCondition;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every case of the Phase 2 test vectors, one named test per case. A missing or empty file fails the build:
 * the vectors pin down the contract. They are {@code src/test/resources/decisioning-cases.json}, a verbatim copy of
 * the vectors published with the decisioning contract (see docs/decisioning.md, "The contract's test vectors");
 * the repository carries its own copy so that a clone builds alone. Replace the file whole when the vectors change.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DecisioningCasesTest {
  static final String CASES = "/decisioning-cases.json";

  static JsonObject cases;

  static JsonArray section(String name) throws IOException {
    if (cases == null) {
      try (InputStream in = DecisioningCasesTest.class.getResourceAsStream(CASES)) {
        assertNotNull(in, "the test vectors are missing from the test class path: " + CASES);
        cases = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    JsonArray section = cases.getJsonArray(name);
    assertFalse(section == null || section.isEmpty(), "the section " + name + " of " + CASES + " has no cases");
    return section;
  }

  static Stream<DynamicTest> each(JsonArray section, Function<JsonObject, org.junit.jupiter.api.function.Executable> test) {
    return section.stream().map(JsonObject.class::cast)
        .map(c -> DynamicTest.dynamicTest(c.getString("name"), test.apply(c)));
  }

  @TestFactory
  Stream<DynamicTest> targeting() throws IOException {
    return each(section("targeting"), c -> () -> {
      Condition condition = Condition.parse(c.getJsonObject("condition"));
      boolean expected = c.getBoolean("matches");
      assertEquals(expected, condition.matches(c.getJsonObject("attributes")), c.encode());
      assertEquals(expected, condition.failingPath(c.getJsonObject("attributes")) == null,
          "failingPath agrees with matches");
    });
  }

  @TestFactory
  Stream<DynamicTest> targetingInvalid() throws IOException {
    return each(section("targeting_invalid"), c -> () -> {
      InvalidCondition e = assertThrows(InvalidCondition.class, () -> Condition.parse(c.getJsonObject("condition")));
      String mentions = c.getString("error_data_mentions");
      assertTrue(e.path().contains(mentions), "the error's path " + e.path() + " names " + mentions);
    });
  }

  @TestFactory
  Stream<DynamicTest> windows() throws IOException {
    return each(section("windows"), c -> () -> {
      Period period = Period.parse(c.getValue("period"));
      List<Instant> selections = c.getJsonArray("selections").stream().map(s -> Instant.parse((String) s)).toList();
      int counted = period.count(selections, Instant.parse(c.getString("now")), ZoneId.of(c.getString("timezone")));
      assertEquals(c.getInteger("count"), counted, c.encode());
    });
  }
}
