package viralengine.logs;

import java.io.Console;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Which form the console log takes: {@code text} for a person at a terminal, {@code json} (one object per line) for
 * whatever reads a pipe or a file. {@code auto}, the default, picks text only when stdout is a terminal.
 *
 * <p>Logback starts before the configuration is loaded, so the first lines follow {@code -Dlog.format} or
 * {@code LOG_FORMAT} (the sources that win over the file anyway); {@link #apply} then installs the value the
 * whole configuration settled on, {@code conf/config.json} included.
 */
public final class LogFormat {
  public static final String AUTO = "auto";
  public static final String TEXT = "text";
  public static final String JSON = "json";
  public static final Set<String> VALUES = Set.of(AUTO, TEXT, JSON);

  private static volatile boolean text = TEXT.equals(resolve(initial()));

  private LogFormat() {}

  /** True while the console log is written as text. */
  public static boolean text() {
    return text;
  }

  /** Installs {@code log.format} as configured ({@code auto}, {@code text} or {@code json}). */
  public static void apply(String configured) {
    text = TEXT.equals(resolve(configured));
  }

  /** {@code text} or {@code json}: what {@code configured} means for this process's stdout. */
  public static String resolve(String configured) {
    // An unknown value counts as auto here: the configuration refuses it by name once it is loaded.
    String value = configured == null ? AUTO : configured.trim().toLowerCase(Locale.ROOT);
    if (TEXT.equals(value) || JSON.equals(value)) {
      return value;
    }
    return stdoutIsTerminal() ? TEXT : JSON;
  }

  private static String initial() {
    String property = System.getProperty("log.format");
    return property != null ? property : System.getenv("LOG_FORMAT");
  }

  /**
   * Whether file descriptor 1 is a terminal. On Linux the kernel says so directly: fd 1 links to a pseudo-terminal
   * ({@code /dev/pts/N}) or a console ({@code /dev/ttyN}, {@code /dev/console}). Elsewhere the JDK is asked, which
   * is less exact: {@link System#console()} is non-null only with a terminal on stdin and stdout up to JDK 21, and
   * from JDK 22 on it is non-null for any process, so there {@code Console.isTerminal()} decides.
   */
  static boolean stdoutIsTerminal() {
    Path fd1 = Path.of("/proc/self/fd/1");
    if (Files.exists(Path.of("/proc/self/fd"))) {
      try {
        String target = Files.readSymbolicLink(fd1).toString();
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
      } catch (Exception unreadable) {
        return false;
      }
    }
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException beforeJdk22) {
      return true;
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }
}
