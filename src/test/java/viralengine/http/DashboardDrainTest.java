package viralengine.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An open dashboard stream must not hold the drain: streams end when the drain starts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DashboardDrainTest {
  static final long DRAIN_TIMEOUT_MS = 30_000;

  @Test
  void anOpenEventStreamEndsAtTheStartOfTheDrainInsteadOfHoldingItForItsFullTimeout() throws Exception {
    try (TestService svc = TestService.start(new JsonObject()
        .put("shutdown", new JsonObject().put("drain_timeout_ms", DRAIN_TIMEOUT_MS)))) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpResponse<InputStream> stream = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + svc.port + "/dashboard/events")).build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, stream.statusCode());
      InputStream body = stream.body();
      assertTrue(body.read() >= 0, "the stream is open and sent its first bytes");
      CompletableFuture<Long> ended = CompletableFuture.supplyAsync(() -> drainToEnd(body));

      long started = System.nanoTime();
      TestService.await(svc.service.stop());
      long drainMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

      assertTrue(drainMs < 5_000, "the drain took " + drainMs + " ms of its " + DRAIN_TIMEOUT_MS + " ms: the stream held it");
      assertTrue(ended.get(5, TimeUnit.SECONDS) >= 0, "the client saw its stream end");
    }
  }

  private static long drainToEnd(InputStream body) {
    long bytes = 0;
    try (body) {
      while (body.read() >= 0) {
        bytes++;
      }
    } catch (java.io.IOException closed) {
      // a reset also ends the stream
    }
    return bytes;
  }
}
