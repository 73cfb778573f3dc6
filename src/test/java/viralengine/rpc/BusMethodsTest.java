package viralengine.rpc;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** A built-in agent's bus side: the result as the reply, and every failure as a JSON-RPC code, never a stack trace. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BusMethodsTest {
  static Vertx vertx;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    new BusMethods("probe")
        .on("echo", params -> Future.succeededFuture(params.copy().put("echoed", true)))
        .on("refuse", params -> {
          throw RpcException.invalidParams("user_id", "is required");
        })
        .on("break", params -> Future.failedFuture(new IllegalStateException("a bug's details")))
        .register(vertx).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static Object send(String method, Object body) throws Exception {
    return vertx.eventBus().request(BusMethods.address("probe", method), body, new DeliveryOptions().setSendTimeout(5_000))
        .transform(done -> Future.succeededFuture(done.succeeded() ? done.result().body() : done.cause()))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theResultIsTheReply() throws Exception {
    assertEquals(new JsonObject().put("a", 1).put("echoed", true), send("echo", new JsonObject().put("a", 1)));
  }

  @Test
  void aBodyThatIsNotAnObjectIsInvalidParams() throws Exception {
    assertEquals(-32602, assertInstanceOf(ReplyException.class, send("echo", "text")).failureCode());
  }

  @Test
  void anRpcExceptionKeepsItsCodeAndData() throws Exception {
    BusMethods.Failure failure = assertInstanceOf(BusMethods.Failure.class, send("refuse", new JsonObject()));
    assertEquals(-32602, failure.failureCode());
    assertEquals("user_id", failure.toRpc().data().getString("field"));
  }

  @Test
  void anUnexpectedFailureIsInternalErrorWithoutDetails() throws Exception {
    ReplyException failure = assertInstanceOf(ReplyException.class, send("break", new JsonObject()));
    assertEquals(-32603, failure.failureCode());
    assertEquals("Internal error", failure.getMessage());
  }
}
