package viralengine.peers;

import viralengine.rpc.OpenRpc;
import io.vertx.core.json.JsonObject;
import viralengine.auth.Scope;

import java.util.List;

/**
 * A built-in peer agent as callers see it (AGENTS.md): its name, its methods with the scope each needs, and its
 * OpenRPC document. Its methods run on the event bus at {@code {name}.{method}}; HTTP and MCP route there.
 */
public record PeerAgent(String name, String description, List<Method> methods) {
  /** One method: its schema (params, result, examples) and the scope a token needs to call it. */
  public record Method(OpenRpc.Method schema, Scope scope) {
    public String name() {
      return schema.name();
    }
  }

  public Method method(String name) {
    return methods.stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
  }

  public List<String> methodNames() {
    return methods.stream().map(Method::name).toList();
  }

  /** The document {@code rpc.discover} answers on {@code /mcp/{name}}. */
  public JsonObject openRpc() {
    return OpenRpc.openRpc(name, description, methods.stream().map(Method::schema).toList());
  }

  public String address(String method) {
    return name + "." + method;
  }
}
