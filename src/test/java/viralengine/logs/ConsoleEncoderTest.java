package viralengine.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConsoleEncoderTest {
  private static final LoggerContext CONTEXT = (LoggerContext) LoggerFactory.getILoggerFactory();

  static LoggingEvent event(String logger, Level level, String message, Object... arguments) {
    Logger l = CONTEXT.getLogger(logger);
    return new LoggingEvent(Logger.class.getName(), l, level, message, null, arguments);
  }

  @Test
  void aTextLineHasTimeLevelLoggerAndMessageAndTheFieldsTheMessageDoesNotShow() {
    String line = ConsoleEncoder.line(event("viralengine.http.OrchestratorClient", Level.WARN, "Answered in the orchestrator's place for {}",
        "select_loop", kv("decision_id", "d-1"), kv("request_id", "r-1")));
    assertTrue(line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  \\[OrchestratorClient] Answered in the orchestrator's place for "
        + "select_loop decision_id=d-1 request_id=r-1\\R"), line);
  }

  @Test
  void aFieldTheMessageAlreadyShowsIsNotRepeated() {
    String line = ConsoleEncoder.line(event("viralengine.Service", Level.INFO, "Decision {}", kv("decision_id", "d-2")));
    assertTrue(line.contains("] Decision decision_id=d-2" + System.lineSeparator()), line);
  }

  @Test
  void textAndJsonAreTakenAsSaidAndAutoMeansJsonWhenStdoutIsAPipe() {
    assertEquals("text", LogFormat.resolve("text"));
    assertEquals("json", LogFormat.resolve("JSON"));
    // Surefire reads the forked JVM's stdout through a pipe: not a terminal.
    assertEquals("json", LogFormat.resolve("auto"));
    assertEquals("json", LogFormat.resolve(null));
  }

  @Test
  void theEmbeddedServersInfoLinesAreHiddenAtInfoAndWrittenAsDebugAtDebug() {
    ConsoleEncoder encoder = new ConsoleEncoder();
    encoder.setContext(CONTEXT);
    encoder.setDemote("io.zonky");
    net.logstash.logback.encoder.LogstashEncoder json = new net.logstash.logback.encoder.LogstashEncoder();
    json.setContext(CONTEXT);
    encoder.setJson(json);
    encoder.start();
    Logger root = CONTEXT.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    String zonky = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";
    try {
      root.setLevel(Level.INFO);
      assertEquals(0, encoder.encode(event(zonky, Level.INFO, "creating subdirectories ... ok")).length);
      assertTrue(new String(encoder.encode(event(zonky, Level.WARN, "trouble"))).contains("\"level\":\"WARN\""));
      assertTrue(new String(encoder.encode(event("viralengine.Service", Level.INFO, "ours"))).contains("\"level\":\"INFO\""));
      root.setLevel(Level.DEBUG);
      String chatter = new String(encoder.encode(event(zonky, Level.INFO, "syncing data to disk ... ok")));
      assertTrue(chatter.contains("\"level\":\"DEBUG\"") && chatter.contains("syncing data to disk"), chatter);
    } finally {
      root.setLevel(before);
      encoder.stop();
    }
  }
}
