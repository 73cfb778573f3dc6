package viralengine.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import viralengine.config.AppConfig;

import java.util.concurrent.TimeUnit;

/** The PostgreSQL pool and the schema migrations. */
public final class Database {
  private Database() {}

  /** Fail fast when PostgreSQL is not there, so the decision log can switch to its spool. */
  static final int CONNECT_TIMEOUT_MS = 2_000;

  public static Pool pool(Vertx vertx, AppConfig.Database config) {
    return pool(vertx, config, config.poolSize(), "viral-engine");
  }

  /**
   * A pool of its own for work off the hot path (loop_report's rollups and gauges): a slow report or a refresh
   * waiting on PostgreSQL never takes a connection the decision log needs.
   */
  public static Pool pool(Vertx vertx, AppConfig.Database config, int size, String name) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size).setName(name).setShared(false)
            .setConnectionTimeout(CONNECT_TIMEOUT_MS).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .with(new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS).setTcpKeepAlive(true))
        .connectingTo(config.connectOptions())
        .using(vertx)
        .build();
  }

  /** Applies pending Flyway migrations on a worker thread; JDBC is used for this and nothing else. */
  public static Future<Integer> migrate(Vertx vertx, AppConfig.Database config) {
    // Our own class loader, not the thread's: in cluster mode a worker thread may have been started by Hazelcast's
    // join with no usable context class loader, and Flyway then finds neither the driver nor the migrations.
    return vertx.executeBlocking(() -> Flyway.configure(Database.class.getClassLoader())
        .dataSource(config.jdbcUrl(), config.connectOptions().getUser(), config.connectOptions().getPassword())
        .locations("classpath:db/migration")
        .connectRetries(0)
        .load()
        .migrate()
        .migrationsExecuted, false);
  }
}
