package viralengine.support;

import io.vertx.core.json.JsonObject;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The real JAR as a child process, for tests of signals and crashes; plus a plain HTTP/1.1 client. */
public final class ServiceProcess implements AutoCloseable {
  /** HTTP/1.1: the JDK 17 client mishandles HTTP/2 GOAWAY (it fails streams the server still answers). */
  public static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  /** One request's fate: when it started, and the answer if there was one. */
  public record Outcome(String requestId, long startedNanos, int status, JsonObject body, Throwable error) {
    public JsonObject result() {
      return status == 200 && body != null ? body.getJsonObject("result") : null;
    }
  }

  /** Where the child's stdout goes: a file (what most tests read), a pipe this JVM reads, or a pseudo-terminal. */
  public enum Stdout { FILE, PIPE, TERMINAL }

  public final int port;
  public final Process process;
  private final Path log;
  private final Stdout stdout;

  private ServiceProcess(int port, Process process, Path log, Stdout stdout) {
    this.port = port;
    this.process = process;
    this.log = log;
    this.stdout = stdout;
  }

  /** Starts the JAR on a free port with these environment variables (config keys in env form). */
  public static ServiceProcess start(String logName, Map<String, String> env) throws IOException {
    return start(logName, env, true, Stdout.FILE);
  }

  /**
   * As {@link #start(String, Map)}, with stdout on a pipe or a terminal; either way {@link #log()} reads what it
   * wrote. On a pipe, stderr goes to a file of its own ({@code <logName>.stderr.log}), so the pipe holds stdout
   * alone. On a terminal ({@code script} from util-linux allocates the pseudo-terminal), both share it, as they
   * would for a person.
   */
  public static ServiceProcess start(String logName, Map<String, String> env, Stdout stdout) throws IOException {
    return start(logName, env, true, stdout);
  }

  /** Starts the JAR with no DATABASE_URL at all, so it runs its embedded PostgreSQL. */
  public static ServiceProcess startEmbedded(String logName, Map<String, String> env) throws IOException {
    return start(logName, env, false, Stdout.FILE);
  }

  private static ServiceProcess start(String logName, Map<String, String> env, boolean testDatabase, Stdout stdout)
      throws IOException {
    String jar = System.getProperty("service.jar", "target/viral-engine.jar");
    if (!new File(jar).isFile()) {
      throw new AssertionError("the shaded JAR is missing at " + jar + " (mvn verify packages it before the ITs)");
    }
    int port = TestService.freePort();
    Path log = Path.of("target", logName + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = switch (stdout) {
      case FILE -> new ProcessBuilder(java, "-jar", jar).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
      case PIPE -> new ProcessBuilder(java, "-jar", jar)
          .redirectError(ProcessBuilder.Redirect.to(Path.of("target", logName + ".stderr.log").toFile()));
      case TERMINAL -> new ProcessBuilder("script", "--quiet", "--flush", "--return", "--command",
          "exec '" + java + "' -jar '" + jar + "'", "/dev/null").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    };
    builder.environment().put("PORT", Integer.toString(port));
    builder.environment().put("HTTP_HOST", "127.0.0.1");
    builder.environment().remove("DATABASE_URL");
    if (testDatabase) {
      builder.environment().put("DATABASE_URL", TestDatabase.get().url());
    }
    // As in TestService: no holdout unless a test asks for one, so a chosen user id is never held out by chance.
    builder.environment().put("EXPERIMENTS_HOLDOUT_PERCENT", "0");
    // As in TestService: no built-in agents unless a test asks for them (AGENTS_BUILTIN=true).
    builder.environment().put("AGENTS_BUILTIN", "false");
    builder.environment().putAll(env);
    Process process = builder.start();
    if (stdout == Stdout.PIPE) {
      copyInBackground(process.getInputStream(), log);
    }
    return new ServiceProcess(port, process, log, stdout);
  }

  private static void copyInBackground(java.io.InputStream pipe, Path log) throws IOException {
    java.io.OutputStream file = java.nio.file.Files.newOutputStream(log);
    Thread copier = new Thread(() -> {
      try (pipe; file) {
        byte[] buffer = new byte[8192];
        for (int n; (n = pipe.read(buffer)) >= 0; ) {
          file.write(buffer, 0, n);
          file.flush();
        }
      } catch (IOException closed) {
        // the child is gone
      }
    }, "stdout-of-" + log.getFileName());
    copier.setDaemon(true);
    copier.start();
  }

  public String log() throws IOException {
    return java.nio.file.Files.readString(log);
  }

  /** Waits up to {@code seconds} for stdout to hold {@code text}; returns all it holds then. */
  public String awaitLog(String text, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String log = log();
    while (!log.contains(text) && System.nanoTime() < deadline && process.isAlive()) {
      Thread.sleep(100);
      log = log();
    }
    return log;
  }

  public void awaitReady() throws Exception {
    awaitReady(30);
  }

  public void awaitReady(int seconds) throws Exception {
    HttpRequest ready = HttpRequest.newBuilder(uri("/health/ready")).build();
    for (int i = 0; i < seconds * 10 && process.isAlive(); i++) {
      try {
        if (HTTP.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the service did not become ready; see " + log);
  }

  public JsonObject health() throws Exception {
    return new JsonObject(HTTP.send(HttpRequest.newBuilder(uri("/mcp/orchestrator/health")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  /** Waits until the spool is empty and no longer in use. */
  public JsonObject awaitSpoolDrained() throws Exception {
    JsonObject health = health();
    for (int i = 0; i < 300 && (health.getJsonObject("spool").getBoolean("active") || health.getJsonObject("spool").getLong("depth") > 0); i++) {
      Thread.sleep(100);
      health = health();
    }
    return health;
  }

  /** Sends trigger_event for {@code user} with request_id {@code requestId}. Never fails: the outcome says what happened. */
  public CompletableFuture<Outcome> triggerEvent(String user, String requestId) {
    return triggerEvent(user, requestId, true);
  }

  /** As {@link #triggerEvent(String, String)}; without {@code sendRequestId}, {@code requestId} only names the call. */
  public CompletableFuture<Outcome> triggerEvent(String user, String requestId, boolean sendRequestId) {
    long started = System.nanoTime();
    JsonObject params = new JsonObject().put("event_type", "practice_completed").put("user_id", user);
    if (sendRequestId) {
      params.put("request_id", requestId);
    }
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", requestId).put("method", "trigger_event")
        .put("params", params);
    HttpRequest request = HttpRequest.newBuilder(uri("/mcp/orchestrator/trigger_event"))
        .header("content-type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> response == null
            ? new Outcome(requestId, started, -1, null, error)
            : new Outcome(requestId, started, response.statusCode(),
                response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body()), null));
  }

  public boolean awaitExit(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** A statement run on this run's database over plain JDBC: an operator's hand edit. */
  public static void exec(String sql) throws Exception {
    io.vertx.pgclient.PgConnectOptions db = io.vertx.pgclient.PgConnectOptions.fromUri(TestDatabase.get().url());
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase(),
        db.getUser(), db.getPassword()); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** A count over this run's database, read over plain JDBC. */
  public static long rows(String sql) throws Exception {
    io.vertx.pgclient.PgConnectOptions db = io.vertx.pgclient.PgConnectOptions.fromUri(TestDatabase.get().url());
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase(),
        db.getUser(), db.getPassword()); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void close() {
    if (stdout == Stdout.TERMINAL) {
      process.descendants().forEach(ProcessHandle::destroyForcibly); // the JVM under script
    }
    process.destroyForcibly();
  }
}
