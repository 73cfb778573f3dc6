package viralengine.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import org.junit.jupiter.api.Test;
import viralengine.Main;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * A request on a connection accepted before the server's metrics existed reaches the HTTP-server
 * metrics with a null socket metric: Micrometer's own implementation throws (which left the request
 * unanswered), the service's wrapper skips the call.
 */
class StartupSafeMetricsTest {
  @SuppressWarnings({"unchecked", "rawtypes"})
  @Test
  void callsWithoutASocketOrRequestMetricAreSkippedAndTheRestStillCount() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Main.newVertx(registry);
    try {
      HttpServerMetrics metrics = ((VertxInternal) vertx).metrics()
          .createHttpServerMetrics(new HttpServerOptions(), SocketAddress.inetSocketAddress(4001, "127.0.0.1"));
      assertInstanceOf(StartupSafeMetrics.NullSafeHttpServerMetrics.class, metrics);
      HttpServerMetrics raw = ((StartupSafeMetrics.NullSafeHttpServerMetrics) metrics).delegate();
      assertThrows(NullPointerException.class, () -> raw.requestBegin(null, null), "Micrometer's own throws");

      assertDoesNotThrow(() -> {
        assertNull(metrics.requestBegin(null, null));
        metrics.requestEnd(null, null, 10);
        metrics.responseBegin(null, null);
        metrics.responseEnd(null, null, 10);
        metrics.requestRouted(null, "/x");
        metrics.requestReset(null);
        metrics.bytesRead(null, null, 10);
        metrics.bytesWritten(null, null, 10);
        metrics.exceptionOccurred(null, null, new RuntimeException());
        metrics.disconnected(null, null);
      });

      Object socket = metrics.connected(SocketAddress.inetSocketAddress(50000, "127.0.0.1"), "client");
      assertNotNull(socket, "a connection accepted after start is measured as before");
      metrics.bytesRead(socket, null, 123);
      assertTrue(registry.scrape().contains("vertx_http_server_bytes_read"), "and its bytes are counted");
    } finally {
      await(vertx.close());
    }
  }
}
