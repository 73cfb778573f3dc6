package viralengine.support;

import io.vertx.pgclient.PgConnectOptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import viralengine.store.EmbeddedDatabase;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * One PostgreSQL database for this test run, created on first use and dropped when the JVM exits,
 * so concurrent runs never see each other's rows.
 *
 * <p>The server, in this order: {@code TEST_DATABASE_URL} when set (and then only that one); else the
 * local server on 127.0.0.1:5432; else a Testcontainers PostgreSQL when Docker runs; else the service's
 * own embedded PostgreSQL ({@link EmbeddedDatabase}) under {@code target/}. {@code TEST_DATABASE=embedded}
 * (environment) or {@code -Dtest.database=embedded} skips straight to the embedded server. A database
 * test never skips: when nothing works, the run fails and says why.
 */
public final class TestDatabase {
  public static final String DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
  /** The switch that forces the embedded fallback. */
  public static final String FORCE_SWITCH = "TEST_DATABASE";
  private static TestDatabase instance;
  private static String source = "none";

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

  /** Which server this run uses: {@code TEST_DATABASE_URL}, {@code local}, {@code testcontainers} or {@code embedded}. */
  public static synchronized String source() {
    get();
    return source;
  }

  private static TestDatabase create() {
    if ("embedded".equals(System.getProperty("test.database", System.getenv(FORCE_SWITCH)))) {
      return embedded("forced by " + FORCE_SWITCH + "=embedded");
    }
    String explicit = System.getenv("TEST_DATABASE_URL");
    if (explicit != null && !explicit.isBlank()) {
      try {
        source = "TEST_DATABASE_URL";
        return createOn(PgConnectOptions.fromUri(explicit));
      } catch (SQLException e) {
        throw new IllegalStateException("TEST_DATABASE_URL does not answer (" + e.getMessage() + "): fix it, or unset it"
            + " to use the local server, Docker or the embedded PostgreSQL", e);
      }
    }
    PgConnectOptions local = PgConnectOptions.fromUri(DEFAULT_URL);
    try {
      source = "local";
      return createOn(local);
    } catch (SQLException e) {
      return fallBackToTestcontainers(local, e);
    }
  }

  /** The same embedded server the service runs when database.url is unset, in a fresh directory under target/. */
  private static TestDatabase embedded(String why) {
    source = "embedded";
    java.nio.file.Path dir = java.nio.file.Path.of("target", "embedded-pg", UUID.randomUUID().toString().substring(0, 8));
    System.err.println("Test database: embedded PostgreSQL in " + dir.toAbsolutePath() + " (" + why + ")");
    EmbeddedDatabase db = EmbeddedDatabase.start(dir);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      db.close();
      deleteTree(dir);
    }, "stop-embedded-test-postgres"));
    try {
      return createOn(db.connectOptions());
    } catch (SQLException e) {
      throw new IllegalStateException("The embedded PostgreSQL did not accept a connection", e);
    }
  }

  private static void deleteTree(java.nio.file.Path dir) {
    try (java.util.stream.Stream<java.nio.file.Path> paths = java.nio.file.Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (java.io.IOException e) {
      System.err.println("Could not remove " + dir + ": " + e.getMessage());
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
      return embedded(server.getHost() + ":" + server.getPort() + " did not answer (" + cause.getMessage()
          + ") and Docker is not running");
    }
    source = "testcontainers";
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
