package viralengine.mcp;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.api.ApiSchema;
import viralengine.api.Requests;
import viralengine.rpc.ErrorCodes;
import viralengine.support.TestService;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rpc.discover}: the OpenRPC document validates against the real OpenRPC meta-schema (shipped as a
 * test resource), every documented example answers with the documented shape, and the MCP tools carry
 * the very same schemas.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpenRpcDocumentTest {
  static final String OPENRPC_META = "https://meta.open-rpc.org/";
  static final String JSON_SCHEMA_TOOLS_META = "https://meta.json-schema.tools/";
  static TestService svc;
  static JsonObject document;

  @BeforeAll
  static void start() {
    svc = TestService.start();
    document = svc.post("/mcp/orchestrator", request("rpc.discover")).bodyAsJsonObject().getJsonObject("result");
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  static JsonObject request(String method) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method);
  }

  static String resource(String name) {
    try (InputStream in = OpenRpcDocumentTest.class.getResourceAsStream("/openrpc/" + name)) {
      assertNotNull(in, name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The OpenRPC meta-schema, resolving its references to the shipped files only: nothing is fetched. */
  static Schema metaSchema() {
    String jsonSchemaTools = resource("json-schema-tools-meta-schema-1.8.0.json");
    Dialect jsonSchemaToolsDialect = Dialect.builder(JSON_SCHEMA_TOOLS_META, Dialects.getDraft7()).build();
    SchemaRegistry registry = SchemaRegistry.withDialects(List.of(Dialects.getDraft7(), jsonSchemaToolsDialect),
        builder -> builder.defaultDialectId(Dialects.getDraft7().getId()).schemas(Map.of(
            OPENRPC_META, resource("openrpc-meta-schema-1.14.9.json"),
            JSON_SCHEMA_TOOLS_META, jsonSchemaTools,
            "https://meta.json-schema.tools", jsonSchemaTools)));
    return registry.getSchema(SchemaLocation.of(OPENRPC_META));
  }

  /** A params or result schema of the document, as MCP clients read it (JSON Schema 2020-12). */
  static Schema schema(JsonObject schema) {
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema.encode(), InputFormat.JSON);
  }

  static JsonObject method(String name) {
    return document.getJsonArray("methods").stream().map(JsonObject.class::cast)
        .filter(m -> name.equals(m.getString("name"))).findFirst().orElseThrow();
  }

  /** The params of a method as one object schema: what a tool's inputSchema is. */
  static JsonObject paramsAsObject(JsonObject method) {
    JsonObject properties = new JsonObject();
    JsonArray required = new JsonArray();
    for (Object p : method.getJsonArray("params")) {
      JsonObject param = (JsonObject) p;
      properties.put(param.getString("name"), param.getJsonObject("schema"));
      if (param.getBoolean("required", false)) {
        required.add(param.getString("name"));
      }
    }
    return new JsonObject().put("type", "object").put("properties", properties).put("required", required)
        .put("additionalProperties", false);
  }

  @Test
  void theDocumentValidatesAgainstTheOpenRpcMetaSchema() {
    List<Error> errors = metaSchema().validate(document.encode(), InputFormat.JSON);
    assertTrue(errors.isEmpty(), errors.toString());
    assertEquals("1.3.2", document.getString("openrpc"));
  }

  @Test
  void theMetaSchemaValidationIsNotVacuous() {
    JsonObject broken = document.copy().put("openrpc", "9.9.9");
    broken.getJsonArray("methods").getJsonObject(0).remove("params");
    broken.getJsonObject("info").remove("title");
    List<Error> errors = metaSchema().validate(broken.encode(), InputFormat.JSON);
    assertTrue(errors.size() >= 3, errors.toString());
  }

  @Test
  void bothRoutesServeTheSameDocument() {
    JsonObject viaPath = svc.post("/mcp/orchestrator/rpc.discover", request("rpc.discover")).bodyAsJsonObject().getJsonObject("result");
    assertEquals(document, viaPath);
  }

  @Test
  void everyMethodIsDocumentedWithParamsResultErrorsAndExamples() {
    List<String> names = document.getJsonArray("methods").stream().map(m -> ((JsonObject) m).getString("name")).toList();
    assertEquals(List.of("trigger_event", "select_loop", "health", "upsert_learner", "get_learner", "record_outcome",
        "explain_decision", "loop_report", "rpc.discover"), names);
    for (String name : List.of("trigger_event", "select_loop", "health")) {
      JsonObject method = method(name);
      assertFalse(method.getString("description").isBlank(), name);
      assertEquals("by-name", method.getString("paramStructure"), name);
      assertNotNull(method.getJsonObject("result").getJsonObject("schema"), name);
      assertFalse(method.getJsonArray("errors").isEmpty(), name);
      assertFalse(method.getJsonArray("examples").isEmpty(), name);
    }
    assertEquals(List.of("event_type", "user_id", "request_id", "occurred_at", "context"),
        method("trigger_event").getJsonArray("params").stream().map(p -> ((JsonObject) p).getString("name")).toList());
  }

  @Test
  void theErrorComponentsCoverEveryErrorCodeTheServiceAnswersWith() throws IllegalAccessException {
    Set<Integer> codes = new TreeSet<>();
    for (Field field : ErrorCodes.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class) {
        codes.add(field.getInt(null));
      }
    }
    Set<Integer> documented = new TreeSet<>();
    document.getJsonObject("components").getJsonObject("errors")
        .forEach(e -> documented.add(((JsonObject) e.getValue()).getInteger("code")));
    assertEquals(codes, documented);
    for (Object m : document.getJsonArray("methods")) {
      for (Object ref : ((JsonObject) m).getJsonArray("errors")) {
        String target = ((JsonObject) ref).getString("$ref").substring("#/components/errors/".length());
        assertTrue(document.getJsonObject("components").getJsonObject("errors").containsKey(target), target);
      }
    }
  }

  @Test
  void everyExampleValidatesAgainstItsOwnSchemas() {
    for (Object m : document.getJsonArray("methods")) {
      JsonObject method = (JsonObject) m;
      Schema params = schema(paramsAsObject(method));
      Schema result = schema(method.getJsonObject("result").getJsonObject("schema"));
      for (Object e : method.getJsonArray("examples")) {
        JsonObject example = (JsonObject) e;
        List<Error> paramErrors = params.validate(exampleParams(example).encode(), InputFormat.JSON);
        assertTrue(paramErrors.isEmpty(), method.getString("name") + ": " + paramErrors);
        List<Error> resultErrors = result.validate(example.getJsonObject("result").getValue("value").toString(), InputFormat.JSON);
        assertTrue(resultErrors.isEmpty(), method.getString("name") + ": " + resultErrors);
      }
    }
  }

  static JsonObject exampleParams(JsonObject example) {
    JsonObject params = new JsonObject();
    for (Object p : example.getJsonArray("params")) {
      params.put(((JsonObject) p).getString("name"), ((JsonObject) p).getValue("value"));
    }
    return params;
  }

  @Test
  void everyDocumentedExampleSentToTheEndpointGetsTheDocumentedShape() {
    for (Object m : document.getJsonArray("methods")) {
      JsonObject method = (JsonObject) m;
      String name = method.getString("name");
      Schema resultSchema = schema(method.getJsonObject("result").getJsonObject("schema"));
      for (Object e : method.getJsonArray("examples")) {
        JsonObject example = (JsonObject) e;
        JsonObject response = svc.rpc(name, exampleParams(example));
        JsonObject actual = response.getJsonObject("result");
        assertNotNull(actual, name + " answered " + response);
        List<Error> errors = resultSchema.validate(actual.encode(), InputFormat.JSON);
        assertTrue(errors.isEmpty(), name + ": " + errors);
        JsonObject documented = example.getJsonObject("result").getJsonObject("value");
        assertEquals(new TreeSet<>(documented.fieldNames()), new TreeSet<>(actual.fieldNames()), name);
        for (String field : documented.fieldNames()) {
          // A documented null (last_error, loop) may be a value at run time; the schema check above covers both.
          if (documented.getValue(field) != null) {
            assertEquals(kind(documented.getValue(field)), kind(actual.getValue(field)), name + "." + field);
          }
        }
      }
    }
    assertEquals(2, svc.count("SELECT count(*) FROM agent_decisions"), "the trigger_event and select_loop examples were recorded");
  }

  private static String kind(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof Number) {
      return "number";
    }
    return value.getClass().getSimpleName();
  }

  @Test
  void theMcpToolsCarryTheSameSchemasAsTheDocument() {
    JsonObject list = new McpHttp(svc).legacy(McpHttp.request(1, "tools/list", new JsonObject())).bodyAsJsonObject().getJsonObject("result");
    Map<String, String> toolToMethod = Map.of("orchestrator_health", "health");
    List<String> seen = new ArrayList<>();
    JsonObject adminDocument = viralengine.admin.AdminSchema.openRpc();
    for (Object t : list.getJsonArray("tools")) {
      JsonObject tool = (JsonObject) t;
      String name = toolToMethod.getOrDefault(tool.getString("name"), tool.getString("name"));
      // The admin agent's tools take their schemas from the admin agent's document.
      // A peer agent's tools ({agent}_{method}) take theirs from that agent's document.
      viralengine.peers.PeerAgent peer = viralengine.peers.PeerAgents.ALL.stream()
          .filter(a -> name.startsWith(a.name() + "_")).findFirst().orElse(null);
      JsonObject method = peer != null ? peer.openRpc().getJsonArray("methods").stream().map(JsonObject.class::cast)
          .filter(m -> name.equals(peer.name() + "_" + m.getString("name"))).findFirst().orElseThrow()
          : !McpHttp.DECIDE_TOOLS.contains(tool.getString("name")) || "list_loops".equals(name) ? adminDocument.getJsonArray("methods").stream()
          .map(JsonObject.class::cast).filter(m -> name.equals(m.getString("name"))).findFirst().orElseThrow()
          : method(name);
      JsonObject input = tool.getJsonObject("inputSchema");
      assertEquals(paramsAsObject(method).getJsonObject("properties"), input.getJsonObject("properties"), tool.getString("name"));
      assertEquals(new TreeSet<>(paramsAsObject(method).getJsonArray("required").getList()),
          new TreeSet<>(input.getJsonArray("required", new JsonArray()).getList()), tool.getString("name"));
      assertEquals(method.getJsonObject("result").getJsonObject("schema"), tool.getJsonObject("outputSchema"), tool.getString("name"));
      assertEquals(method.getString("description"), tool.getString("description"), tool.getString("name"));
      seen.add(tool.getString("name"));
    }
    assertEquals(McpHttp.ALL_TOOLS, seen, "auth is off: every caller has every scope");
  }

  @Test
  void theContextBoundsInTheDescriptionsAreTheConfiguredOnes() {
    String description = ApiSchema.of(new Requests.Limits(2048, 3)).openRpc().getJsonArray("methods").getJsonObject(0)
        .getJsonArray("params").getJsonObject(4).getString("description");
    assertTrue(description.contains("2048 bytes") && description.contains("3 levels"), description);
  }

  @Test
  void aNotificationOfRpcDiscoverIsAnsweredWith204() {
    assertEquals(204, svc.post("/mcp/orchestrator", new JsonObject().put("jsonrpc", "2.0").put("method", "rpc.discover")).statusCode());
  }
}
