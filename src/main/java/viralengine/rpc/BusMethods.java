package viralengine.rpc;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A built-in agent's event-bus side: one consumer per method at {@code {agent}.{method}}, whose body is the
 * JSON-RPC params object and whose reply is the result object. A failure is a {@link Failure}: a
 * {@link ReplyException} whose {@code failureCode()} is the JSON-RPC code and which keeps {@code data} (the bad
 * field) within one JVM. An unexpected error is logged here and answered -32603 without details.
 */
public final class BusMethods {
  private static final Logger LOG = LoggerFactory.getLogger(BusMethods.class);

  private final String agent;
  private final Map<String, Function<JsonObject, Future<JsonObject>>> methods = new LinkedHashMap<>();

  public BusMethods(String agent) {
    this.agent = agent;
  }

  public static String address(String agent, String method) {
    return agent + "." + method;
  }

  public BusMethods on(String method, Function<JsonObject, Future<JsonObject>> handler) {
    methods.put(method, handler);
    return this;
  }

  /** Registers every consumer; completes once all are registered. */
  public Future<Void> register(Vertx vertx) {
    List<Future<Void>> registered = new ArrayList<>();
    methods.forEach((method, handler) -> registered.add(vertx.eventBus()
        .<Object>consumer(address(agent, method), message -> answer(method, handler, message)).completion()));
    return Future.all(registered).mapEmpty();
  }

  private void answer(String method, Function<JsonObject, Future<JsonObject>> handler, Message<Object> message) {
    Future<JsonObject> result;
    try {
      if (!(message.body() instanceof JsonObject params)) {
        throw new RpcException(ErrorCodes.INVALID_PARAMS, "Invalid params: the body must be a JSON object of named params");
      }
      result = handler.apply(params);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onSuccess(message::reply).onFailure(err -> message.reply(failure(method, err)));
  }

  private Failure failure(String method, Throwable err) {
    if (err instanceof RpcException rpc) {
      return new Failure(rpc.code(), rpc.getMessage(), rpc.data());
    }
    LOG.error("{}.{} failed", agent, method, err);
    return new Failure(ErrorCodes.INTERNAL_ERROR, "Internal error", null);
  }

  /** A failure that keeps the JSON-RPC error's {@code data} when the reply stays in this JVM. */
  public static class Failure extends ReplyException {
    private final transient JsonObject data;

    public Failure(int code, String message, JsonObject data) {
      super(ReplyFailure.RECIPIENT_FAILURE, code, message);
      this.data = data;
    }

    public JsonObject data() {
      return data;
    }

    public RpcException toRpc() {
      return new RpcException(failureCode(), getMessage(), data);
    }
  }
}
