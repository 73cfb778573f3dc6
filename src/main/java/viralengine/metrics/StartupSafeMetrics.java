package viralengine.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.MicrometerMetricsFactory;

/**
 * Vert.x's Micrometer metrics, made safe for connections accepted while the HTTP server starts.
 *
 * <p>Vert.x 5.0.8 binds the port before it creates the server's metrics, so a connection accepted in
 * between gets no socket metric, and its requests then reach {@code VertxHttpServerMetrics.requestBegin}
 * with null; the NullPointerException left the request unanswered and the connection hung for good (seen
 * in about 1 start in 10 under load, and by a client polling /health/ready during start). Here every
 * HTTP-server call with a missing socket or request metric is skipped: such a request is served, just
 * not counted in {@code vertx_http_server_*} (the service's own {@code viral_*} meters still count it).
 */
public final class StartupSafeMetrics implements VertxMetricsFactory {
  private final MicrometerMetricsFactory micrometer;

  public StartupSafeMetrics(MeterRegistry registry) {
    this.micrometer = new MicrometerMetricsFactory(registry);
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new Guarded(micrometer.metrics(options));
  }

  @Override
  public MetricsOptions newOptions() {
    return micrometer.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return micrometer.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject json) {
    return micrometer.newOptions(json);
  }

  /** Everything as Micrometer's, except the HTTP server's metrics. */
  private record Guarded(VertxMetrics delegate) implements VertxMetrics {
    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
      HttpServerMetrics<?, ?, ?> server = delegate.createHttpServerMetrics(options, localAddress);
      return server == null ? null : new NullSafeHttpServerMetrics<>(server);
    }

    @Override
    public EventBusMetrics<?> createEventBusMetrics() {
      return delegate.createEventBusMetrics();
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
      return delegate.createClientMetrics(remoteAddress, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return delegate.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
      return delegate.createNetServerMetrics(options, localAddress);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return delegate.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return delegate.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
      return delegate.createPoolMetrics(poolType, poolName, maxPoolSize);
    }

    @Override
    public void vertxCreated(Vertx vertx) {
      delegate.vertxCreated(vertx);
    }

    @Override
    public boolean isMetricsEnabled() {
      return delegate.isMetricsEnabled();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** Skips every call that would dereference a missing socket (S) or request (R) metric. */
  static final class NullSafeHttpServerMetrics<R, W, S> implements HttpServerMetrics<R, W, S> {
    private final HttpServerMetrics<R, W, S> delegate;

    @SuppressWarnings("unchecked")
    NullSafeHttpServerMetrics(HttpServerMetrics<?, ?, ?> delegate) {
      this.delegate = (HttpServerMetrics<R, W, S>) delegate;
    }

    HttpServerMetrics<R, W, S> delegate() {
      return delegate;
    }

    @Override
    public R requestBegin(S socket, HttpRequest request) {
      return socket == null ? null : delegate.requestBegin(socket, request);
    }

    @Override
    public void requestEnd(R metric, HttpRequest request, long bytesRead) {
      if (metric != null) {
        delegate.requestEnd(metric, request, bytesRead);
      }
    }

    @Override
    public void requestReset(R metric) {
      if (metric != null) {
        delegate.requestReset(metric);
      }
    }

    @Override
    public void responseBegin(R metric, HttpResponse response) {
      if (metric != null) {
        delegate.responseBegin(metric, response);
      }
    }

    @Override
    public R responsePushed(S socket, HttpMethod method, String uri, HttpResponse response) {
      return socket == null ? null : delegate.responsePushed(socket, method, uri, response);
    }

    @Override
    public void responseEnd(R metric, HttpResponse response, long bytesWritten) {
      if (metric != null) {
        delegate.responseEnd(metric, response, bytesWritten);
      }
    }

    @Override
    public W connected(S socket, R request, ServerWebSocket webSocket) {
      return socket == null || request == null ? null : delegate.connected(socket, request, webSocket);
    }

    @Override
    public void disconnected(W webSocket) {
      if (webSocket != null) {
        delegate.disconnected(webSocket);
      }
    }

    @Override
    public void requestRouted(R metric, String route) {
      if (metric != null) {
        delegate.requestRouted(metric, route);
      }
    }

    @Override
    public S connected(SocketAddress remoteAddress, String remoteName) {
      return delegate.connected(remoteAddress, remoteName);
    }

    @Override
    public void disconnected(S socket, SocketAddress remoteAddress) {
      if (socket != null) {
        delegate.disconnected(socket, remoteAddress);
      }
    }

    @Override
    public void bytesRead(S socket, SocketAddress remoteAddress, long numberOfBytes) {
      if (socket != null) {
        delegate.bytesRead(socket, remoteAddress, numberOfBytes);
      }
    }

    @Override
    public void bytesWritten(S socket, SocketAddress remoteAddress, long numberOfBytes) {
      if (socket != null) {
        delegate.bytesWritten(socket, remoteAddress, numberOfBytes);
      }
    }

    @Override
    public void exceptionOccurred(S socket, SocketAddress remoteAddress, Throwable t) {
      if (socket != null) {
        delegate.exceptionOccurred(socket, remoteAddress, t);
      }
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
