package viralengine.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, at start, a directory a config key names. A relative path lands in the working directory, which
 * surprises people who start the JAR from elsewhere, so creating one says so. A directory this user cannot
 * write (a root-owned bind mount, say) fails with what to do, instead of an {@code AccessDeniedException}
 * deep in the first write.
 */
public final class Directories {
  private static final Logger LOG = LoggerFactory.getLogger(Directories.class);

  private Directories() {}

  /** Creates {@code value} if needed and checks that it is a writable directory; returns its absolute path. */
  public static Path prepare(String key, String value, String envName) {
    Path dir = Path.of(value).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new ConfigException(key, "cannot create " + dir + " (" + e.getClass().getSimpleName() + "): "
            + remedy(dir, envName));
      }
      LOG.info("Created {} {}{}", key, dir, Path.of(value).isAbsolute() ? ""
          : " (relative to the working directory " + Path.of("").toAbsolutePath() + ")");
    }
    if (!Files.isWritable(dir)) {
      throw new ConfigException(key, dir + " is not writable by this user: " + remedy(dir, envName));
    }
    return dir;
  }

  private static String remedy(Path dir, String envName) {
    String owner;
    try {
      Path existing = dir;
      while (existing != null && !Files.exists(existing)) {
        existing = existing.getParent();
      }
      owner = existing == null ? "unknown" : Files.getOwner(existing).getName() + " owns " + existing;
    } catch (IOException | UnsupportedOperationException e) {
      owner = "owner unknown";
    }
    return "the service runs as " + System.getProperty("user.name") + " and " + owner + ". Give this user the"
        + " directory (for a Docker bind mount: chown -R 10001:10001 on the host, or run with --user), or set "
        + envName + " to a writable directory";
  }
}
