package viralengine.resilience;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import viralengine.support.Calls;
import viralengine.support.Calls.Call;
import viralengine.support.OwnDatabase;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22, item 4: a flood on a cold JVM. 20 s after the service starts, token A opens 1,000 connections and keeps
 * one select_loop in flight on each; token B sends 20 select_loop calls a second and must get every decision (no
 * shed, no degraded answer, no error) with p99 under 150 ms.
 *
 * <p>The flood comes from wrk, a process of its own (as bench/abuse.sh floods, and as an attacker is not on the
 * service's machine), so that generating it does not take the CPU of B's client, which runs here on one keep-alive
 * connection (java.net.http). That A's 1,000 connections are really open at once is read from the service's own gauge,
 * viral_connections_open, during the flood. The service runs its defaults plus the two tokens. Needs wrk (bin/test
 * --deps-only installs it).
 */
@Timeout(value = 110, unit = TimeUnit.SECONDS)
@EnabledIfSystemProperty(named = "load.tests", matches = "true",
    disabledReason = "a 1,000-connection load test with a p99 bound: run it on a quiet machine with -Dload.tests=true")
class FloodIT {
  static final int CONNECTIONS = 1_000;
  static final long FLOOD_AFTER_START_MS = 20_000;
  static final int B_RATE_PER_SECOND = 20;
  static final long B_RUN_MS = 10_000;
  static final long P99_MS = 150;
  /** How long wrk floods: past B's run, which starts once the connections are open. */
  static final int FLOOD_S = 30;

  @Test
  void tokenBGetsEveryDecisionWithinTheSlaWhileTokenAFloodsWithAThousandConnections() throws Exception {
    OwnDatabase db = OwnDatabase.create();
    db.activate("buddy_challenge", "results_rally");
    String tokenA = "flood-a-" + UUID.randomUUID().toString().replace("-", "");
    String tokenB = "flood-b-" + UUID.randomUUID().toString().replace("-", "");
    Map<String, String> env = new HashMap<>(db.env());
    env.put("SPOOL_DIR", TestService.newSpoolDir());
    env.put("ORCHESTRATOR_API_TOKENS", "a:decide:" + tokenA + ",b:decide+observe:" + tokenB);
    long started = System.nanoTime();
    try (db; ServiceProcess svc = ServiceProcess.start("flood-it", env)) {
      svc.awaitReady(90);
      long sinceStart = (System.nanoTime() - started) / 1_000_000;
      if (sinceStart < FLOOD_AFTER_START_MS) {
        Thread.sleep(FLOOD_AFTER_START_MS - sinceStart); // the scenario's moment: 20 s after start, not a timing assumption
      }
      long openingsBefore = Calls.breakerOpenings(svc, tokenB);

      Process flood = flood(svc.port, tokenA);
      List<Call> calls;
      String state;
      long open;
      try {
        open = awaitConnections(svc, tokenB, flood);
        Calls.Load b = Calls.Load.start(1, tokenB, 1_000 / B_RATE_PER_SECOND, n -> new Calls.Load.Request(svc,
            "select_loop", new JsonObject().put("user_id", "light-" + (n % 50)).put("event_type", "practice_completed")));
        try {
          Thread.sleep(B_RUN_MS);
        } finally {
          calls = b.stop();
        }
        state = Calls.breakerState(svc, tokenB);
      } catch (Exception | AssertionError e) {
        flood.destroyForcibly();
        throw e;
      }
      String floodSummary = summary(flood);
      long openings = Calls.breakerOpenings(svc, tokenB) - openingsBefore;
      List<Long> latencies = calls.stream().map(Call::latencyMs).toList();
      long p99 = Calls.percentile(latencies, 99);
      long shed = calls.stream().filter(c -> c.status() == 503 || Integer.valueOf(-32003).equals(c.errorCode())).count();
      long degraded = calls.stream().filter(Call::degraded).count();
      long other = calls.size() - shed - degraded - calls.stream().filter(Call::decided).count();
      // Where B's time went: the orchestrator's own latency_ms (deciding and the durable write) against the wall.
      List<Long> inside = calls.stream().filter(c -> c.result() != null)
          .map(c -> Math.round(c.result().getDouble("latency_ms", 0.0))).toList();
      System.out.printf("FloodIT: A: %d connections open during the flood; %s; B: %d calls, %d decided, %d shed,"
              + " %d degraded, %d other; p50 %d ms, p99 %d ms, max %d ms (the orchestrator's latency_ms: p50 %d, p99 %d);"
              + " breaker %s, opened %d times during the flood%n", open, floodSummary, calls.size(),
          calls.stream().filter(Call::decided).count(), shed, degraded, other, Calls.percentile(latencies, 50), p99,
          Calls.percentile(latencies, 100), Calls.percentile(inside, 50), Calls.percentile(inside, 99), state, openings);

      assertEquals(0, shed, "B is never shed");
      assertEquals(0, degraded, "B never gets the default decision; the breaker opened " + openings + " times, is " + state);
      assertEquals(List.of(), calls.stream().filter(c -> !c.decided()).map(Call::summary).limit(3).toList(),
          "B gets every decision");
      assertTrue(p99 < P99_MS, "B's p99 is under " + P99_MS + " ms: " + p99);
      // One caller, one call at a time: with every call under 150 ms it sends at least ~7 a second.
      assertTrue(calls.size() >= B_RUN_MS / 1_000 * 5, "B kept calling: " + calls.size());
    }
  }

  /** Token A: wrk, in a process of its own, with {@link #CONNECTIONS} connections for {@link #FLOOD_S} s. */
  static Process flood(int port, String token) throws Exception {
    Path script = Path.of("src/test/resources/flood.lua").toAbsolutePath();
    ProcessBuilder wrk = new ProcessBuilder("wrk", "-t2", "-c" + CONNECTIONS, "-d" + FLOOD_S + "s", "--timeout", "10s",
        "-s", script.toString(), "http://127.0.0.1:" + port);
    wrk.environment().put("FLOOD_TOKEN", token);
    wrk.redirectErrorStream(true);
    try {
      return wrk.start();
    } catch (java.io.IOException e) {
      throw new AssertionError("FloodIT floods with wrk, which is not installed: bin/test --deps-only installs it", e);
    }
  }

  /** Until the service counts A's {@link #CONNECTIONS} connections open (its own gauge), or 30 s; the count seen. */
  static long awaitConnections(ServiceProcess svc, String token, Process flood) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long open = 0;
    while (System.nanoTime() < deadline && flood.isAlive()) {
      open = (long) Calls.gauge(svc, token, "viral_connections_open");
      if (open >= CONNECTIONS) {
        return open;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("token A really has " + CONNECTIONS + " connections open at once: the service counts "
        + open + (flood.isAlive() ? "" : "; wrk ended: " + summary(flood)));
  }

  /** wrk's own totals (requests, and how many were not 2xx: A's sheds), from its output once it ended. */
  static String summary(Process flood) throws Exception {
    if (!flood.waitFor(FLOOD_S + 30, TimeUnit.SECONDS)) {
      flood.destroyForcibly();
    }
    String out = new String(flood.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    return out.lines().filter(l -> l.contains("requests in") || l.contains("Non-2xx") || l.contains("Socket errors")
        || l.contains("rror")).map(String::trim).reduce((x, y) -> x + "; " + y).orElse("wrk printed: " + out.trim());
  }
}
