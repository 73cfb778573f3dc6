package viralengine.dashboard;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Headless Debian Chromium driven through Debian's chromedriver, both found on the PATH, so Selenium
 * Manager never runs (it would try to download a driver). Chromium and the driver write only under
 * {@code target/chromium/}. When either binary is missing the test fails and says how to install it.
 */
final class Browser implements AutoCloseable {
  static final Path ROOT = Path.of("target", "chromium");
  static final String INSTALL = "apt-get update && apt-get install -y chromium chromium-driver";

  final ChromeDriver driver;

  private Browser(ChromeDriver driver) {
    this.driver = driver;
  }

  static Browser start() {
    Path chromium = binary("chromium");
    Path chromedriver = binary("chromedriver");
    try {
      Path home = Files.createDirectories(ROOT.resolve("home")).toAbsolutePath();
      Path profile = Files.createDirectories(ROOT.resolve("profile-" + UUID.randomUUID())).toAbsolutePath();
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(chromedriver.toFile())
          .usingAnyFreePort()
          .withLogFile(ROOT.resolve("chromedriver.log").toFile())
          .withEnvironment(Map.of(
              "HOME", home.toString(),
              "XDG_CONFIG_HOME", Files.createDirectories(home.resolve(".config")).toString(),
              "XDG_CACHE_HOME", Files.createDirectories(home.resolve(".cache")).toString()))
          .build();
      ChromeOptions options = new ChromeOptions();
      options.setBinary(chromium.toFile());
      options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
          "--window-size=1400,1100", "--user-data-dir=" + profile);
      LoggingPreferences logs = new LoggingPreferences();
      logs.enable(LogType.BROWSER, Level.ALL);
      options.setCapability("goog:loggingPrefs", logs);
      return new Browser(new ChromeDriver(service, options));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The executable {@code name} on the PATH (like {@code command -v}), else fails with the install command. */
  static Path binary(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin";
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return fail("'" + name + "' is not installed, and the dashboard's browser test needs Debian's chromium and "
        + "chromedriver. Install them with: " + INSTALL + " (.ci/run does this before the build)");
  }

  /** Saves a PNG of the current page; never throws, so it can run in a finally block. */
  void screenshot(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    } catch (RuntimeException | IOException e) {
      System.err.println("could not save screenshot " + file + ": " + e);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}
