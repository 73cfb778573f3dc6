package viralengine.support;

import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

/**
 * A database of one test class's own, on the server {@link TestDatabase} uses, created and migrated (the service's
 * own Flyway migrations, from the classpath) before any service starts, so a test can set loops and rules up before
 * a cold start; dropped by {@link #close()} (and, failing that, when the JVM exits). Pass {@link #env()} to
 * {@link ServiceProcess#start} to run on it.
 */
public final class OwnDatabase implements AutoCloseable {
  private final PgConnectOptions server;
  private final String name;

  private OwnDatabase(PgConnectOptions server, String name) {
    this.server = server;
    this.name = name;
  }

  /** A fresh database with the schema and seed data applied. */
  public static OwnDatabase create() {
    PgConnectOptions server = PgConnectOptions.fromUri(TestDatabase.get().url());
    String name = "viral_own_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection admin = connect(server, server.getDatabase()); Statement st = admin.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + name, e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> drop(server, name), "drop-own-database"));
    OwnDatabase db = new OwnDatabase(server, name);
    Flyway.configure(OwnDatabase.class.getClassLoader())
        .dataSource(db.jdbcUrl(), server.getUser(), server.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate();
    return db;
  }

  /** The {@code postgresql://} URL the service takes as DATABASE_URL. */
  public String url() {
    String auth = server.getUser() + (server.getPassword() == null || server.getPassword().isEmpty() ? "" : ":" + server.getPassword());
    return "postgresql://" + auth + "@" + server.getHost() + ":" + server.getPort() + "/" + name;
  }

  /** The environment that points a {@link ServiceProcess} at this database. */
  public Map<String, String> env() {
    return Map.of("DATABASE_URL", url());
  }

  public void exec(String sql) {
    try (Connection c = connect(server, name); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** The first column of the first row, as a number (a count). */
  public long rows(String sql) {
    String value = text(sql);
    return value == null ? 0 : Long.parseLong(value);
  }

  /** The first column of the first row, as text; null when there is no row. */
  public String text(String sql) {
    try (Connection c = connect(server, name); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /**
   * Makes the seed loops {@code names} active for everyone on every event (no trigger list, no audience or
   * targeting, no cooldown), as CapsInvariantIT does by hand.
   */
  public void activate(String... names) {
    for (String loop : names) {
      exec("UPDATE viral_loops SET active = true, triggers = '{}', cooldown_seconds = 0,"
          + " audience = '{\"requires_parental_consent\": false}', targeting = '{}' WHERE name = '" + loop + "'");
    }
  }

  /** The seed rule global_daily (calendar_day) at {@code max} selections a day. */
  public void dailyCap(int max) {
    exec("UPDATE frequency_rules SET max_count = " + max + " WHERE id = 'global_daily'");
  }

  /** Drops the database (its sessions too: a killed service's connections may linger). */
  @Override
  public void close() {
    drop(server, name);
  }

  private String jdbcUrl() {
    return "jdbc:postgresql://" + server.getHost() + ":" + server.getPort() + "/" + name;
  }

  private static Connection connect(PgConnectOptions server, String database) throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://" + server.getHost() + ":" + server.getPort() + "/" + database
        + "?connectTimeout=5", server.getUser(), server.getPassword());
  }

  private static void drop(PgConnectOptions server, String name) {
    try (Connection admin = connect(server, server.getDatabase()); Statement st = admin.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (SQLException e) {
      System.err.println("Could not drop test database " + name + ": " + e.getMessage());
    }
  }
}
