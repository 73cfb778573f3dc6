package viralengine.mcp;

import com.networknt.schema.Schema;
import io.vertx.core.json.JsonObject;

/** The OpenRPC validation helpers of {@link OpenRpcDocumentTest}, for the documents of other agents. */
public final class OpenRpcDocumentTestAccess {
  private OpenRpcDocumentTestAccess() {}

  public static Schema metaSchema() {
    return OpenRpcDocumentTest.metaSchema();
  }

  public static Schema schema(JsonObject schema) {
    return OpenRpcDocumentTest.schema(schema);
  }

  public static JsonObject paramsAsObject(JsonObject method) {
    return OpenRpcDocumentTest.paramsAsObject(method);
  }

  public static JsonObject exampleParams(JsonObject example) {
    return OpenRpcDocumentTest.exampleParams(example);
  }
}
