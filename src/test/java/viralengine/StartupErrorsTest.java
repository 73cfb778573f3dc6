package viralengine;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import viralengine.config.AppConfig;
import viralengine.support.TestService;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** Start-up failures a newcomer meets say what is wrong and what to do. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StartupErrorsTest {

  @Test
  void aPortInUseIsNamedWithWhatToDo() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      JsonObject config = TestService.baseConfig();
      config.getJsonObject("http").put("port", taken.getLocalPort());
      String message = startFailure(config);
      assertEquals("http.port " + taken.getLocalPort() + " on 127.0.0.1 is already in use: stop the process that holds"
          + " it, or set PORT to a free port", message);
    }
  }

  @Test
  void aSpoolDirectoryThatCannotBeCreatedNamesTheKeyThePathAndTheRemedy(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
    JsonObject config = TestService.baseConfig().put("spool", new JsonObject().put("dir", file.resolve("spool").toString()));
    String message = startFailure(config);
    assertTrue(message.startsWith("config spool.dir: cannot create " + file.resolve("spool")), message);
    assertTrue(message.contains("or set SPOOL_DIR to a writable directory"), message);
  }

  private static String startFailure(JsonObject config) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Main.newVertx(registry);
    try {
      ExecutionException e = assertThrows(ExecutionException.class, () -> Service.start(vertx, AppConfig.from(config), registry)
          .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS));
      return e.getCause().getMessage();
    } finally {
      await(vertx.close());
    }
  }
}
