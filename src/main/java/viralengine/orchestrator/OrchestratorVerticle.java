package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.config.AppConfig;
import viralengine.loops.ViralLoop;
import viralengine.metrics.ServiceMetrics;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.RpcException;
import viralengine.decisionlog.DecisionLog;
import viralengine.store.ExposureRepository;
import viralengine.store.LoopRepository;

import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Serves the {@link OrchestratorApi} addresses. {@code start()} completes once the loops are loaded
 * (the warm-up) and every consumer is registered; {@code stop()} waits for calls in flight, whose
 * answers wait for their decisions to be durable.
 */
public final class OrchestratorVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(OrchestratorVerticle.class);
  private static final long DRAIN_POLL_MS = 10;

  private final AppConfig config;
  private final Pool pool;
  private final DecisionLog log;
  private final Supplier<String> breakerState;
  private final LastError lastError;
  private final ServiceMetrics metrics;
  private final LoopRepository loopRepository;
  private final Requests.Limits limits;
  private volatile List<ViralLoop> loops = List.of();
  private Orchestrator orchestrator;
  private HealthReporter health;
  private int inFlight;
  private long delayedCalls;

  public OrchestratorVerticle(AppConfig config, Pool pool, DecisionLog log, Supplier<String> breakerState,
      LastError lastError, ServiceMetrics metrics) {
    this.config = config;
    this.pool = pool;
    this.log = log;
    this.breakerState = breakerState;
    this.lastError = lastError;
    this.metrics = metrics;
    this.loopRepository = new LoopRepository(pool);
    this.limits = new Requests.Limits(config.limits().maxContextBytes(), config.limits().maxContextDepth());
  }

  @Override
  public Future<?> start() {
    AppConfig.Orchestrator settings = config.orchestrator();
    orchestrator = new Orchestrator(log, new Eligibility(new ExposureRepository(pool), settings.dailyCap()),
        new IdempotencyCache(settings.idempotencyCacheSize(), settings.idempotencyTtlMs()), () -> loops, metrics);
    health = new HealthReporter(pool, log, this::activeLoopCount, orchestrator::cacheSize, breakerState, lastError,
        !config.security().tokenHashes().isEmpty(), config.database().mode());
    return loopRepository.loadAll().compose(loaded -> {
      loops = loaded;
      LOG.info("Warm-up done: {} loops loaded, {} active", loaded.size(), activeLoopCount());
      vertx.setPeriodic(settings.loopsRefreshMs(), id -> refreshLoops());
      return Future.join(
          consumer(OrchestratorApi.TRIGGER_EVENT, Requests.TRIGGER_EVENT).completion(),
          consumer(OrchestratorApi.SELECT_LOOP, Requests.SELECT_LOOP).completion(),
          vertx.eventBus().consumer(OrchestratorApi.HEALTH, this::onHealth).completion());
    });
  }

  /** Consumers are unregistered by the undeploy itself; this waits for the calls they already took. */
  @Override
  public Future<?> stop() {
    Promise<Void> drained = Promise.promise();
    long deadline = System.currentTimeMillis() + config.drainTimeoutMs();
    awaitIdle(drained, deadline);
    return drained.future();
  }

  private void awaitIdle(Promise<Void> drained, long deadline) {
    if (inFlight == 0) {
      drained.complete();
    } else if (System.currentTimeMillis() > deadline) {
      LOG.warn("Drain timeout: {} calls still in flight", inFlight);
      drained.complete();
    } else {
      vertx.setTimer(DRAIN_POLL_MS, id -> awaitIdle(drained, deadline));
    }
  }

  private MessageConsumer<Object> consumer(String address, String method) {
    return vertx.eventBus().consumer(address, message -> onCall(message, method));
  }

  private void onCall(Message<Object> message, String method) {
    Call call = Call.from(message.headers());
    inFlight++;
    delayForTests()
        .compose(v -> orchestrator.handle(parse(method, message.body()), call))
        .onComplete(done -> inFlight--)
        .onSuccess(message::reply)
        .onFailure(err -> fail(message, method, call, err));
  }

  private Requests.Request parse(String method, Object body) {
    if (!(body instanceof JsonObject params)) {
      throw RpcException.invalidParams("params", "must be a JSON object");
    }
    return Requests.parse(method, params, limits, Instant.now());
  }

  /**
   * {@code orchestrator.test_delay_ms}: lets tests make the orchestrator slow, for all calls or, with
   * {@code test_slow_calls}, for the first N. Zero in production.
   */
  private Future<Void> delayForTests() {
    AppConfig.Orchestrator settings = config.orchestrator();
    if (settings.testDelayMs() == 0 || (settings.testSlowCalls() > 0 && delayedCalls >= settings.testSlowCalls())) {
      return Future.succeededFuture();
    }
    delayedCalls++;
    return vertx.timer(settings.testDelayMs()).mapEmpty();
  }

  private void onHealth(Message<Object> message) {
    health.report().onSuccess(message::reply)
        .onFailure(err -> message.fail(ErrorCodes.INTERNAL_ERROR, "Health report failed"));
  }

  private void fail(Message<Object> message, String method, Call call, Throwable err) {
    if (err instanceof RpcException rpc) {
      message.fail(rpc.code(), rpc.getMessage());
      return;
    }
    Object requestId = message.body() instanceof JsonObject params ? params.getValue("request_id") : null;
    LOG.error("{} failed", method, kv("decision_id", call.decisionId()), kv("request_id", requestId), err);
    lastError.record(method + " failed: " + err.getClass().getSimpleName());
    message.fail(ErrorCodes.INTERNAL_ERROR, "Internal error");
  }

  private void refreshLoops() {
    loopRepository.loadAll()
        .onSuccess(loaded -> loops = loaded)
        .onFailure(err -> LOG.warn("Loop refresh failed; keeping the {} loops loaded before: {}", loops.size(), err.getMessage()));
  }

  private int activeLoopCount() {
    return (int) loops.stream().filter(ViralLoop::active).count();
  }
}
