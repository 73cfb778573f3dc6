package viralengine.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.pgclient.PgConnectOptions;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy between the service and PostgreSQL that a test can break: {@link #cut()} closes every
 * connection and refuses new ones (PostgreSQL is gone); {@link #pause()} keeps connections open but
 * forwards nothing (PostgreSQL hangs); {@link #restore()} heals both.
 */
public final class PgProxy implements AutoCloseable {
  private enum Mode { FORWARD, CUT, PAUSED }

  private final Vertx vertx;
  private final PgConnectOptions target;
  private final NetClient client;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private NetServer server;
  private volatile Mode mode = Mode.FORWARD;

  private PgProxy(Vertx vertx, PgConnectOptions target) {
    this.vertx = vertx;
    this.target = target;
    this.client = vertx.createNetClient();
  }

  /** A proxy to this run's test database, listening on a free port. */
  public static PgProxy start(Vertx vertx) {
    PgProxy proxy = new PgProxy(vertx, PgConnectOptions.fromUri(TestDatabase.get().url()));
    proxy.server = TestService.await(vertx.createNetServer().connectHandler(proxy::accept).listen(0, "127.0.0.1"));
    return proxy;
  }

  /** The test database's URL, through this proxy. */
  public String url() {
    return "postgresql://" + target.getUser() + "@127.0.0.1:" + server.actualPort() + "/" + target.getDatabase();
  }

  public void cut() {
    mode = Mode.CUT;
    sockets.forEach(NetSocket::close);
  }

  public void pause() {
    mode = Mode.PAUSED;
    sockets.forEach(NetSocket::pause);
  }

  public void restore() {
    mode = Mode.FORWARD;
    sockets.forEach(NetSocket::resume);
  }

  private void accept(NetSocket inbound) {
    if (mode == Mode.CUT) {
      inbound.close();
      return;
    }
    inbound.pause();
    client.connect(target.getPort(), target.getHost()).onSuccess(outbound -> {
      sockets.add(inbound);
      sockets.add(outbound);
      inbound.handler(outbound::write);
      outbound.handler(inbound::write);
      inbound.closeHandler(v -> closeBoth(inbound, outbound));
      outbound.closeHandler(v -> closeBoth(inbound, outbound));
      if (mode == Mode.FORWARD) {
        inbound.resume();
      } else {
        outbound.pause();
      }
    }).onFailure(err -> inbound.close());
  }

  private void closeBoth(NetSocket a, NetSocket b) {
    sockets.remove(a);
    sockets.remove(b);
    a.close();
    b.close();
  }

  @Override
  public void close() {
    cut();
    Future.join(server.close(), client.close());
  }
}
