package viralengine.peers;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.mcp.OpenRpcDocumentTestAccess;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each built-in agent's OpenRPC document validates against the OpenRPC meta-schema, and its examples against its schemas. */
class PeerOpenRpcTest {
  @Test
  void eachDocumentValidatesAgainstTheOpenRpcMetaSchema() {
    for (PeerAgent agent : PeerAgents.ALL) {
      List<Error> errors = OpenRpcDocumentTestAccess.metaSchema().validate(agent.openRpc().encode(), InputFormat.JSON);
      assertTrue(errors.isEmpty(), agent.name() + ": " + errors);
    }
  }

  @Test
  void eachDocumentListsItsMethodsThenRpcDiscover() {
    for (PeerAgent agent : PeerAgents.ALL) {
      List<String> names = agent.openRpc().getJsonArray("methods").stream().map(m -> ((JsonObject) m).getString("name")).toList();
      assertEquals(agent.methodNames(), names.subList(0, names.size() - 1), agent.name());
      assertEquals("rpc.discover", names.get(names.size() - 1));
    }
  }

  @Test
  void everyExampleValidatesAgainstItsOwnSchemas() {
    for (PeerAgent agent : PeerAgents.ALL) {
      for (Object m : agent.openRpc().getJsonArray("methods")) {
        JsonObject method = (JsonObject) m;
        if ("rpc.discover".equals(method.getString("name"))) {
          continue;
        }
        Schema params = OpenRpcDocumentTestAccess.schema(OpenRpcDocumentTestAccess.paramsAsObject(method));
        Schema result = OpenRpcDocumentTestAccess.schema(method.getJsonObject("result").getJsonObject("schema"));
        for (Object e : method.getJsonArray("examples")) {
          JsonObject example = (JsonObject) e;
          List<Error> paramErrors = params.validate(OpenRpcDocumentTestAccess.exampleParams(example).encode(), InputFormat.JSON);
          assertTrue(paramErrors.isEmpty(), agent.name() + "." + method.getString("name") + ": " + paramErrors);
          List<Error> resultErrors = result.validate(example.getJsonObject("result").getValue("value").toString(), InputFormat.JSON);
          assertTrue(resultErrors.isEmpty(), agent.name() + "." + method.getString("name") + ": " + resultErrors);
        }
      }
    }
  }
}
