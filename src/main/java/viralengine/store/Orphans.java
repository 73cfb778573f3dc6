package viralengine.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A kill -9 of the service leaves its embedded postmaster running. Left alone, the next start either fails
 * on {@code postmaster.pid} or (on a fixed port) silently adopts the orphan. So before starting, read
 * {@code postmaster.pid}: if that process is a postgres whose command line names our data directory, it is
 * our orphan, and it is stopped (fast shutdown, then SIGKILL) and waited for, children included. A PID that
 * now belongs to something else makes the file stale, so it is removed.
 */
final class Orphans {
  private static final Logger LOG = LoggerFactory.getLogger(Orphans.class);
  static final long FAST_STOP_WAIT_MS = 15_000;
  static final long KILL_WAIT_MS = 5_000;

  private Orphans() {}

  /** Returns the PID it stopped, or -1 when there was no orphan. */
  static long stopOrphan(Path dataDir) {
    Path pidFile = dataDir.resolve("postmaster.pid");
    long pid = readPid(pidFile);
    if (pid <= 0) {
      return -1;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty() || !namesDataDir(pid, dataDir)) {
      LOG.info("Removing the stale {} (PID {} is not a postgres of this directory)", pidFile, pid);
      deleteQuietly(pidFile);
      return -1;
    }
    LOG.warn("Found PostgreSQL (PID {}) still running on {}, orphaned by an earlier run that was killed; stopping it", pid, dataDir);
    stop(process.get());
    return pid;
  }

  /** The command line of a running process names {@code dataDir} as one whole argument (postgres -D dir). */
  static boolean namesDataDir(long pid, Path dataDir) {
    try {
      String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
      List<String> args = Arrays.asList(cmdline.split("\0"));
      return args.contains(dataDir.toString());
    } catch (IOException e) {
      return false;
    }
  }

  private static void stop(ProcessHandle postmaster) {
    List<ProcessHandle> children = postmaster.descendants().toList();
    signal(postmaster.pid(), "INT"); // PostgreSQL's fast shutdown: a checkpoint, no recovery next time
    if (!awaitExit(postmaster, FAST_STOP_WAIT_MS)) {
      LOG.warn("Orphaned PostgreSQL (PID {}) ignored a fast shutdown; killing it", postmaster.pid());
      postmaster.destroyForcibly();
      awaitExit(postmaster, KILL_WAIT_MS);
    }
    // Backends still attached to the old shared memory would make the new postmaster refuse to start.
    for (ProcessHandle child : children) {
      if (!awaitExit(child, KILL_WAIT_MS)) {
        child.destroyForcibly();
        awaitExit(child, KILL_WAIT_MS);
      }
    }
    if (postmaster.isAlive()) {
      throw new EmbeddedDatabase.EmbeddedDatabaseException("An orphaned PostgreSQL (PID " + postmaster.pid()
          + ") of this data directory could not be stopped; stop it by hand (kill " + postmaster.pid() + ") and start again.");
    }
  }

  private static void signal(long pid, String signal) {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      LOG.warn("Could not signal PID {}: {}", pid, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean awaitExit(ProcessHandle process, long timeoutMs) {
    try {
      process.onExit().get(timeoutMs, TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    } catch (Exception e) {
      return !process.isAlive();
    }
  }

  private static long readPid(Path pidFile) {
    try {
      if (!Files.isRegularFile(pidFile)) {
        return -1;
      }
      List<String> lines = Files.readAllLines(pidFile);
      return lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
    } catch (IOException | NumberFormatException e) {
      LOG.warn("Unreadable {}: {}; removing it", pidFile, e.getMessage());
      deleteQuietly(pidFile);
      return -1;
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("Could not remove {}: {}", file, e.getMessage());
    }
  }
}
