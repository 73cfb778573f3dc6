package viralengine.agents;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;
import viralengine.rpc.RpcException;

/**
 * Buffers a response body up to a limit. A bigger body fails the response as soon as the limit is
 * passed, so a misbehaving peer cannot make the client hold an unbounded body in memory.
 */
final class BoundedBodyCodec implements BodyCodec<Buffer> {
  private final int maxBytes;
  private final RpcException tooLarge;

  BoundedBodyCodec(int maxBytes, RpcException tooLarge) {
    this.maxBytes = maxBytes;
    this.tooLarge = tooLarge;
  }

  @Override
  public BodyStream<Buffer> stream() {
    return new Stream();
  }

  private final class Stream implements BodyStream<Buffer> {
    private final Promise<Buffer> result = Promise.promise();
    private final Buffer body = Buffer.buffer();
    private boolean overflowed;

    @Override
    public Future<Buffer> result() {
      return result.future();
    }

    @Override
    public void handle(Throwable failure) {
      result.tryFail(failure);
    }

    @Override
    public Future<Void> write(Buffer data) {
      if (overflowed) {
        return Future.failedFuture(tooLarge);
      }
      if ((long) body.length() + data.length() > maxBytes) {
        overflowed = true;
        result.tryFail(tooLarge);
        return Future.failedFuture(tooLarge);
      }
      body.appendBuffer(data);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      result.tryComplete(body);
      return Future.succeededFuture();
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      return this;
    }
  }
}
