package viralengine.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Benchmark only (bench/run.sh): the ceiling for the service's HTTP path. A bare Vert.x route that reads the
 * request body and answers a fixed JSON-RPC select_loop result of the same size and headers as a real one,
 * deployed like the service's HTTP side: http.instances verticles (default 2 x cores, one per event loop).
 * Not part of the service; nothing in it is reached from {@code viralengine.Service}.
 *
 * <p>Usage: {@code java -cp target/viral-engine.jar viralengine.bench.BareRoute <port> [instances]}
 */
public final class BareRoute {

  /** A real select_loop answer (README), same length; decision_id and latency_ms fixed. */
  static final Buffer BODY = Buffer.buffer("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"decision_id\":"
      + "\"6b0d42b3-0008-4a16-8a39-09f58b5a84dd\",\"loop\":null,\"eligible_loops\":[],"
      + "\"rationale\":\"Phase 1: Event logged, no loops active yet\",\"latency_ms\":0.443545}}");

  private BareRoute() {}

  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 4002;
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new Server(port), new DeploymentOptions().setInstances(instances))
        .onSuccess(id -> System.out.println("BareRoute listening on 127.0.0.1:" + port + " with " + instances
            + " instances, body " + BODY.length() + " bytes"))
        .onFailure(err -> {
          err.printStackTrace();
          System.exit(1);
        });
  }

  static final class Server extends VerticleBase {
    private final int port;

    Server(int port) {
      this.port = port;
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.post("/mcp/orchestrator/:method").handler(BodyHandler.create(false).setBodyLimit(1048576));
      router.post("/mcp/orchestrator/:method").handler(ctx -> ctx.response()
          .putHeader("content-type", "application/json")
          .putHeader("cache-control", "no-store")
          .putHeader("X-Content-Type-Options", "nosniff")
          .end(BODY));
      router.get("/health/ready").handler(ctx -> ctx.response().end("{\"status\":\"UP\"}"));
      return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
              .setMaxInitialLineLength(4096).setMaxHeaderSize(8192))
          .requestHandler(router).listen();
    }
  }
}
