package viralengine.loops;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.SqlClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Keeps this instance's {@link Catalog} current. Every admin write runs {@code pg_notify(CHANNEL, change id)}
 * in its own transaction, so PostgreSQL delivers the notification exactly when the change commits; the
 * watcher LISTENs on a dedicated connection ({@link PgSubscriber}, which reconnects with backoff) and reloads
 * the whole catalog on each notification. Reloads never overlap: notifications that arrive during one are
 * folded into one more reload after it. Notifications sent while the connection was down are lost, so
 * every (re)subscription is followed by a reload, and a periodic reload every {@code refreshMs} remains as
 * the safety net (it also picks up rows edited by hand in SQL, which send no notification).
 */
public final class CatalogWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogWatcher.class);
  /** The NOTIFY channel; its payload is the id of the {@code config_changes} row. */
  public static final String CHANNEL = "viral_config_changes";
  static final long MAX_RECONNECT_DELAY_MS = 5_000;

  private final Vertx vertx;
  private final CatalogRepository repository;
  private final PgConnectOptions connectOptions;
  private final long refreshMs;
  private volatile Catalog current = Catalog.EMPTY;
  private volatile Consumer<Catalog> listener = catalog -> { };
  private PgSubscriber subscriber;
  private long timer = -1;
  private Future<Catalog> loading;
  private boolean reloadAgain;
  private volatile boolean closed;
  private Future<Catalog> started;

  public CatalogWatcher(Vertx vertx, SqlClient client, PgConnectOptions connectOptions, long refreshMs) {
    this.vertx = vertx;
    this.repository = new CatalogRepository(client);
    this.connectOptions = connectOptions;
    this.refreshMs = refreshMs;
  }

  /**
   * Subscribes, then loads; completes with the first catalog, once changes are being listened for. Calling
   * it again returns the same start, unless that one failed: then it starts over.
   */
  public synchronized Future<Catalog> start() {
    if (started != null && !started.failed()) {
      return started;
    }
    if (subscriber != null) {
      subscriber.close();
    }
    subscriber = PgSubscriber.subscriber(vertx, connectOptions)
        .reconnectPolicy(retries -> closed ? -1L : Math.min(100L << Math.min(retries, 6), MAX_RECONNECT_DELAY_MS));
    subscriber.channel(CHANNEL)
        .subscribeHandler(v -> reload())
        .handler(changeId -> reload());
    subscriber.closeHandler(v -> {
      if (!closed) {
        LOG.warn("Lost the LISTEN connection for catalog changes; the periodic reload ({} ms) remains", refreshMs);
      }
    });
    started = subscriber.connect()
        .compose(v -> reload())
        .onSuccess(catalog -> timer = vertx.setPeriodic(refreshMs, id -> reload()));
    return started;
  }

  /** The catalog as last loaded: {@link Catalog#EMPTY} before the first load. */
  public Catalog current() {
    return current;
  }

  /** Called (on a Vert.x thread) with each newly loaded catalog whose config version differs from the last. */
  public CatalogWatcher onChange(Consumer<Catalog> listener) {
    this.listener = listener;
    return this;
  }

  /** Loads the catalog now; a call during a load returns that load and schedules one more after it. */
  public Future<Catalog> reload() {
    synchronized (this) {
      if (loading != null) {
        reloadAgain = true;
        return loading;
      }
      loading = repository.load();
    }
    return loading.andThen(this::loaded);
  }

  private void loaded(AsyncResult<Catalog> done) {
    boolean again;
    synchronized (this) {
      loading = null;
      again = reloadAgain && !closed;
      reloadAgain = false;
    }
    if (done.succeeded()) {
      Catalog previous = current;
      current = done.result();
      if (previous.configVersion() != current.configVersion()) {
        LOG.info("Catalog at config version {}: {} loops ({} active), {} frequency rules", current.configVersion(),
            current.loops().size(), current.loops().stream().filter(Loop::active).count(), current.rules().size());
        listener.accept(current);
      }
    } else if (!closed) {
      LOG.warn("Catalog reload failed; keeping config version {}: {}", current.configVersion(), done.cause().getMessage());
    }
    if (again) {
      reload();
    }
  }

  /** Stops the periodic reload and the LISTEN connection. */
  public Future<Void> close() {
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return subscriber == null ? Future.succeededFuture() : subscriber.close();
  }
}
