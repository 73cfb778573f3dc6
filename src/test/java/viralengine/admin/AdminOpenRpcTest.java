package viralengine.admin;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.mcp.OpenRpcDocumentTestAccess;
import viralengine.support.TestService;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rpc.discover} on the admin agent: the document validates against the OpenRPC meta-schema, documents
 * every method, and each example validates against its own schemas; the read methods' examples, sent to
 * the endpoint, answer with the documented shape.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminOpenRpcTest {
  static TestService svc;
  static JsonObject document;

  @BeforeAll
  static void start() {
    svc = TestService.start();
    AdminFixtures.restoreSeeds(svc);
    document = AdminFixtures.ok(svc, "rpc.discover", new JsonObject());
  }

  @AfterAll
  static void stop() {
    AdminFixtures.restoreSeeds(svc);
    svc.close();
  }

  @Test
  void theDocumentValidatesAgainstTheOpenRpcMetaSchema() {
    List<Error> errors = OpenRpcDocumentTestAccess.metaSchema().validate(document.encode(), InputFormat.JSON);
    assertTrue(errors.isEmpty(), errors.toString());
    assertTrue(document.getJsonObject("info").getString("title").contains("admin"));
  }

  @Test
  void everyAdminMethodIsDocumentedThenRpcDiscover() {
    List<String> names = document.getJsonArray("methods").stream().map(m -> ((JsonObject) m).getString("name")).toList();
    List<String> expected = new java.util.ArrayList<>(AdminApi.METHODS);
    expected.add("rpc.discover");
    assertEquals(expected, names);
    Set<Integer> codes = new TreeSet<>();
    document.getJsonObject("components").getJsonObject("errors").forEach(e -> codes.add(((JsonObject) e.getValue()).getInteger("code")));
    assertTrue(codes.containsAll(List.of(-32005, -32006)), codes.toString());
  }

  @Test
  void itIsNotTheOrchestratorsDocument() {
    JsonObject orchestrator = svc.post("/mcp/orchestrator", new JsonObject().put("jsonrpc", "2.0").put("id", 1)
        .put("method", "rpc.discover")).bodyAsJsonObject().getJsonObject("result");
    assertNotEquals(orchestrator.getJsonArray("methods"), document.getJsonArray("methods"));
    assertEquals(orchestrator.getJsonObject("components"), document.getJsonObject("components"));
  }

  @Test
  void everyExampleValidatesAgainstItsOwnSchemas() {
    for (Object m : document.getJsonArray("methods")) {
      JsonObject method = (JsonObject) m;
      Schema params = OpenRpcDocumentTestAccess.schema(OpenRpcDocumentTestAccess.paramsAsObject(method));
      Schema result = OpenRpcDocumentTestAccess.schema(method.getJsonObject("result").getJsonObject("schema"));
      for (Object e : method.getJsonArray("examples")) {
        JsonObject example = (JsonObject) e;
        List<Error> paramErrors = params.validate(OpenRpcDocumentTestAccess.exampleParams(example).encode(), InputFormat.JSON);
        assertTrue(paramErrors.isEmpty(), method.getString("name") + ": " + paramErrors);
        List<Error> resultErrors = result.validate(example.getJsonObject("result").getValue("value").toString(), InputFormat.JSON);
        assertTrue(resultErrors.isEmpty(), method.getString("name") + ": " + resultErrors);
      }
    }
  }

  /** Every method's documented example, sent for real from the seed state, answers per the result schema. */
  @Test
  void everyDocumentedExampleSentToTheEndpointAnswersWithTheDocumentedShape() {
    for (Object m : document.getJsonArray("methods")) {
      JsonObject method = (JsonObject) m;
      String name = method.getString("name");
      Schema result = OpenRpcDocumentTestAccess.schema(method.getJsonObject("result").getJsonObject("schema"));
      for (Object e : method.getJsonArray("examples")) {
        AdminFixtures.restoreSeeds(svc);
        JsonObject actual = AdminFixtures.ok(svc, name, OpenRpcDocumentTestAccess.exampleParams((JsonObject) e));
        assertNotNull(actual, name);
        List<Error> errors = result.validate(actual.encode(), InputFormat.JSON);
        assertTrue(errors.isEmpty(), name + ": " + errors + " in " + actual.encode());
      }
    }
  }
}
