package viralengine.admin;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import viralengine.lifecycle.Erasure;
import viralengine.rpc.ErrorCodes;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;

import java.util.ArrayList;
import java.util.List;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Serves the {@link AdminApi} addresses: loops and frequency rules as data, with validation, optimistic
 * concurrency and an audit trail. {@code start()} completes once every consumer is registered.
 */
public final class AdminVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AdminVerticle.class);
  static final int MAX_ACTOR_LENGTH = 128;

  private final AdminStore store;
  private final Erasure erasure;

  public AdminVerticle(Pool pool, Erasure erasure) {
    this.store = new AdminStore(pool);
    this.erasure = erasure;
  }

  @Override
  public Future<?> start() {
    // An erasure a stop interrupted (a kill -9 included) is finished now, whoever asked for it.
    erasure.resumePending().onFailure(err -> LOG.error("Could not finish the pending erasures; the next start retries",
        err));
    List<Future<Void>> registered = new ArrayList<>();
    for (String method : AdminApi.METHODS) {
      registered.add(vertx.eventBus().consumer(AdminApi.address(method), message -> onCall(method, message)).completion());
    }
    return Future.join(registered);
  }

  private void onCall(String method, Message<Object> message) {
    String actor = actor(message.headers().get(AdminApi.HEADER_ACTOR));
    Future<JsonObject> answer;
    try {
      answer = call(AdminRequests.parse(method, message.body()), actor);
    } catch (RpcException e) {
      answer = Future.failedFuture(e);
    }
    answer.onSuccess(message::reply).onFailure(err -> fail(message, method, actor, err));
  }

  private Future<JsonObject> call(AdminRequests.Request request, String actor) {
    if (request instanceof AdminRequests.GetLoop r) {
      return store.getLoop(r.name());
    } else if (request instanceof AdminRequests.UpsertLoop r) {
      return store.upsertLoop(r.loop(), r.expectedVersion(), actor);
    } else if (request instanceof AdminRequests.SetLoopActive r) {
      return store.setLoopActive(r.name(), r.active(), r.expectedVersion(), actor);
    } else if (request instanceof AdminRequests.ListRules) {
      return store.listRules();
    } else if (request instanceof AdminRequests.UpsertRule r) {
      return store.upsertRule(r.rule(), actor);
    } else if (request instanceof AdminRequests.DeleteRule r) {
      return store.deleteRule(r.id(), actor);
    } else if (request instanceof AdminRequests.ForgetLearner r) {
      return erasure.forget(r.userId(), r.requestId(), r.reason(), actor);
    } else if (request instanceof AdminRequests.ListChanges r) {
      return store.listChanges(r.limit());
    }
    return store.listLoops();
  }

  /** The header is set by our own HTTP edge or a co-deployed verticle; a bad one is recorded as the bus caller. */
  private static String actor(String header) {
    if (header == null || header.length() > MAX_ACTOR_LENGTH || !Params.VISIBLE_ASCII.matcher(header).matches()) {
      return AdminApi.BUS_ACTOR;
    }
    return header;
  }

  private static void fail(Message<Object> message, String method, String actor, Throwable err) {
    if (err instanceof RpcException rpc) {
      message.reply(new AdminApi.Failure(rpc.code(), rpc.getMessage(), rpc.data()));
      return;
    }
    LOG.error("admin {} failed", method, kv("actor", actor), err);
    message.reply(new AdminApi.Failure(ErrorCodes.INTERNAL_ERROR, "Internal error", null));
  }
}
