package viralengine.support;

import io.vertx.pgclient.PgConnectOptions;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Makes PostgreSQL slow the way an operator's psql session does: {@code BEGIN; LOCK TABLE agent_decisions IN ACCESS
 * EXCLUSIVE MODE;} held until {@link #release()} ({@code COMMIT}). Every read and write of agent_decisions waits
 * behind it. A safety timer releases it after {@code maxHoldMs} so a failing test never leaves the table locked.
 */
public final class TableLock implements AutoCloseable {
  private final Connection connection;
  private final ScheduledExecutorService safety;
  private final long acquiredNanos;
  private boolean released;

  private TableLock(Connection connection, long maxHoldMs) {
    this.connection = connection;
    this.acquiredNanos = System.nanoTime();
    this.safety = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "table-lock-safety");
      t.setDaemon(true);
      return t;
    });
    safety.schedule(this::release, maxHoldMs, TimeUnit.MILLISECONDS);
  }

  /** Takes the lock on agent_decisions (waits until granted) in this run's test database. */
  public static TableLock agentDecisions(long maxHoldMs) throws SQLException {
    Connection c = connect();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("LOCK TABLE agent_decisions IN ACCESS EXCLUSIVE MODE");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return new TableLock(c, maxHoldMs);
  }

  /** A plain JDBC connection to this run's test database. */
  public static Connection connect() throws SQLException {
    PgConnectOptions db = PgConnectOptions.fromUri(TestDatabase.get().url());
    return DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase(),
        db.getUser(), db.getPassword());
  }

  /** How long the lock has been held so far. */
  public long heldMillis() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - acquiredNanos);
  }

  /** Sleeps until the lock has been held {@code totalMs} in all, then commits (releases it). */
  public void releaseAfter(long totalMs) throws InterruptedException {
    long left = totalMs - heldMillis();
    if (left > 0) {
      Thread.sleep(left);
    }
    release();
  }

  /** COMMIT: the lock is gone. Idempotent. */
  public synchronized void release() {
    if (released) {
      return;
    }
    released = true;
    try {
      connection.commit();
    } catch (SQLException e) {
      // the connection is closed below either way: the lock goes with it
    } finally {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // nothing more to do
      }
      safety.shutdownNow();
    }
  }

  @Override
  public void close() {
    release();
  }
}
