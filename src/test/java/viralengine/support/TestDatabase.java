package viralengine.support;

import io.vertx.pgclient.PgConnectOptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * One PostgreSQL database for this test run, created on first use and dropped when the JVM exits,
 * so concurrent runs never see each other's rows.
 *
 * <p>The server comes from {@code TEST_DATABASE_URL} (default: the local server). When it does not
 * answer, Testcontainers starts one if Docker is available; otherwise the run fails and says how to
 * provide a database. It never skips.
 */
public final class TestDatabase {
  public static final String DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
  private static TestDatabase instance;

  private final String url;

  private TestDatabase(String url) {
    this.url = url;
  }

  /** The {@code postgresql://} URL of this run's own database. */
  public String url() {
    return url;
  }

  public static synchronized TestDatabase get() {
    if (instance == null) {
      instance = create();
    }
    return instance;
  }

  private static TestDatabase create() {
    String serverUrl = System.getenv().getOrDefault("TEST_DATABASE_URL", DEFAULT_URL);
    PgConnectOptions server = PgConnectOptions.fromUri(serverUrl);
    try {
      return createOn(server);
    } catch (SQLException e) {
      return fallBackToTestcontainers(server, e);
    }
  }

  private static TestDatabase createOn(PgConnectOptions server) throws SQLException {
    String name = "viral_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    try (Connection admin = connect(server, server.getDatabase()); Statement st = admin.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> drop(server, name), "drop-test-database"));
    String auth = server.getUser() + (server.getPassword() == null || server.getPassword().isEmpty() ? "" : ":" + server.getPassword());
    return new TestDatabase("postgresql://" + auth + "@" + server.getHost() + ":" + server.getPort() + "/" + name);
  }

  private static TestDatabase fallBackToTestcontainers(PgConnectOptions server, SQLException cause) {
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      docker = false;
    }
    if (!docker) {
      throw new IllegalStateException("No PostgreSQL for the tests: " + server.getHost() + ":" + server.getPort()
          + " did not answer (" + cause.getMessage() + "). Start PostgreSQL there, or set TEST_DATABASE_URL="
          + "postgresql://USER[:PASSWORD]@HOST:PORT/DB to a server where USER may CREATE DATABASE, or start Docker"
          + " so Testcontainers can run one.", cause);
    }
    PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
    container.start();
    Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "stop-test-postgres"));
    PgConnectOptions started = new PgConnectOptions().setHost(container.getHost()).setPort(container.getFirstMappedPort())
        .setUser(container.getUsername()).setPassword(container.getPassword()).setDatabase(container.getDatabaseName());
    try {
      return createOn(started);
    } catch (SQLException e) {
      throw new IllegalStateException("Testcontainers PostgreSQL did not accept a connection", e);
    }
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
