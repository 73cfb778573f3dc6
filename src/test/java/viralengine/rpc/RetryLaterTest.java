package viralengine.rpc;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** -32003 tells the caller when to retry, whether it was made here or crossed the event bus, which drops data. */
class RetryLaterTest {

  @Test
  void retryLaterIsAnOverloadThatSaysHowLongToWait() {
    RpcException retry = RpcException.retryLater("not confirmed in time", 1_000);
    assertEquals(ErrorCodes.OVERLOADED, retry.code());
    assertEquals(new JsonObject().put("code", -32003).put("message", "not confirmed in time")
        .put("data", new JsonObject().put("retry_after_ms", 1_000L)), retry.toJson());
  }

  @Test
  void anOverloadThatLostItsDataOnTheBusGetsTheDelayBack() {
    RpcException fromBus = new RpcException(ErrorCodes.OVERLOADED, "busy");
    assertEquals(250L, fromBus.withRetryAfter(250).data().getLong("retry_after_ms"));
  }

  @Test
  void otherDataIsKeptBesideTheDelay() {
    RpcException withData = new RpcException(ErrorCodes.OVERLOADED, "busy", new JsonObject().put("reason", "queue"));
    RpcException answered = withData.withRetryAfter(250);
    assertEquals(new JsonObject().put("reason", "queue").put("retry_after_ms", 250L), answered.data());
    assertEquals(new JsonObject().put("reason", "queue"), withData.data(), "the original is not changed");
  }

  @Test
  void aDelayAlreadyThereAndOtherCodesAreLeftAlone() {
    RpcException already = RpcException.retryLater("later", 100);
    assertSame(already, already.withRetryAfter(5_000));
    RpcException timeout = new RpcException(ErrorCodes.TIMEOUT, "slow");
    assertSame(timeout, timeout.withRetryAfter(5_000));
  }
}
