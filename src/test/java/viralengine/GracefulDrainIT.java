package viralengine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.ServiceProcess;
import viralengine.support.ServiceProcess.Outcome;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.ServiceProcess.rows;

/**
 * The real JAR as a child process: a burst of requests, SIGTERM in the middle. Requests that were in
 * flight finish, every answered request has its rows, nothing unanswered was recorded, and the exit
 * code is 0.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulDrainIT {
  static final int IN_FLIGHT = 20;
  static final int REQUESTS = 400;

  @Test
  void sigtermDrainsInFlightRequestsAndLosesNoAnsweredDecision() throws Exception {
    try (ServiceProcess service = ServiceProcess.start("graceful-drain-it", Map.of(
        "ORCHESTRATOR_TEST_DELAY_MS", "200", "ORCHESTRATOR_TIMEOUT_MS", "10000", "SHUTDOWN_DRAIN_TIMEOUT_MS", "15000",
        "SPOOL_DIR", viralengine.support.TestService.newSpoolDir()))) {
      service.awaitReady();
      long sigtermAt = Long.MAX_VALUE;
      Semaphore slots = new Semaphore(IN_FLIGHT);
      List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < REQUESTS && service.process.isAlive(); i++) {
        slots.acquire();
        outcomes.add(service.triggerEvent("drain-learner", "drain-" + i).whenComplete((o, e) -> slots.release()));
        if (i == REQUESTS / 4) {
          sigtermAt = System.nanoTime();
          service.process.destroy(); // SIGTERM
        }
      }
      CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertTrue(service.awaitExit(40), "the process exits after draining");
      assertEquals(0, service.process.exitValue(), "a drained SIGTERM exits 0");

      long answered = 0;
      long inFlightAtSigterm = 0;
      for (CompletableFuture<Outcome> future : outcomes) {
        Outcome o = future.get();
        if (sigtermAt - o.startedNanos() > TimeUnit.MILLISECONDS.toNanos(50)) {
          inFlightAtSigterm++;
          assertEquals(200, o.status(), "a request in flight at SIGTERM is answered in full: " + o.error());
        }
        assertTrue(o.status() < 500 || o.status() == 503, "no 5xx during the drain, got " + o.status());
        if (o.result() != null) {
          answered++;
        }
      }
      assertTrue(inFlightAtSigterm >= IN_FLIGHT, "the burst had requests in flight at SIGTERM: " + inFlightAtSigterm);
      assertEquals(answered, rows("SELECT count(*) FROM viral_events WHERE user_id = 'drain-learner'"),
          "every answered event is recorded, and nothing unanswered was");
      assertEquals(answered, rows("SELECT count(*) FROM agent_decisions WHERE input_params->>'user_id' = 'drain-learner'"));
      assertTrue(service.log().contains("Drained"), "the log reports the drain");
    }
  }
}
