package viralengine.incentives;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static viralengine.support.ServiceProcess.rows;

/**
 * The reward cap invariant across two service processes (the real JAR, two JVMs) on one database: 50 concurrent
 * grant_reward calls for one learner, spread over both, never pass the daily cap and never grant a request_id twice.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GrantRaceIT {
  static final int CALLS = 50;

  static Map<String, String> env() {
    return Map.of("SPOOL_DIR", TestService.newSpoolDir(), "LOG_LEVEL", "WARN", "AGENTS_BUILTIN", "true");
  }

  @Test
  void fiftyConcurrentGrantsOverTwoProcessesNeverPassTheCapNorDoubleAGrant() throws Exception {
    try (ServiceProcess a = ServiceProcess.start("grants-a-it", env()); ServiceProcess b = ServiceProcess.start("grants-b-it", env())) {
      a.awaitReady();
      b.awaitReady();
      for (int round = 0; round < 3; round++) {
        // Distinct request_ids against class_pass's cap of 2 a day: exactly two are granted.
        String user = "race-distinct-" + round;
        List<CompletableFuture<JsonObject>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
          calls.add(grant(i % 2 == 0 ? a : b, user, "class_pass", user + "-" + i));
        }
        assertEquals(2, granted(calls), "round " + round);
        assertEquals(2, rows("SELECT count(*) FROM reward_grants WHERE user_id = '" + user + "'"));
        assertEquals(2, rows("SELECT granted FROM reward_daily WHERE user_id = '" + user + "'"));

        // Ten request_ids, each sent five times at once, against xp's cap of ten grants: one grant per request_id.
        String retried = "race-retried-" + round;
        calls.clear();
        for (int i = 0; i < CALLS; i++) {
          calls.add(grant(i % 2 == 0 ? b : a, retried, "xp", retried + "-" + (i % 10)));
        }
        Map<String, Set<String>> grantIds = new HashMap<>();
        for (int i = 0; i < CALLS; i++) {
          JsonObject result = calls.get(i).get(60, TimeUnit.SECONDS);
          assertEquals(Boolean.TRUE, result.getBoolean("granted"), result.encode());
          grantIds.computeIfAbsent(retried + "-" + (i % 10), k -> new HashSet<>()).add(result.getString("grant_id"));
        }
        grantIds.forEach((requestId, ids) -> assertEquals(1, ids.size(), requestId + " answered one grant"));
        assertEquals(10, rows("SELECT count(*) FROM reward_grants WHERE user_id = '" + retried + "'"));
        assertEquals(500, rows("SELECT granted FROM reward_daily WHERE user_id = '" + retried + "'"));
      }
    }
  }

  static int granted(List<CompletableFuture<JsonObject>> calls) throws Exception {
    int granted = 0;
    for (CompletableFuture<JsonObject> call : calls) {
      JsonObject result = call.get(60, TimeUnit.SECONDS);
      if (result.getBoolean("granted")) {
        granted++;
      } else {
        assertEquals("cap_reached", result.getString("reason"));
      }
    }
    return granted;
  }

  static CompletableFuture<JsonObject> grant(ServiceProcess node, String user, String type, String requestId) {
    JsonObject params = new JsonObject().put("user_id", user).put("reward_type", type).put("request_id", requestId);
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "grant_reward").put("params", params);
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + "/mcp/incentives/grant_reward"))
        .header("content-type", "application/json").timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
    return ServiceProcess.HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
      JsonObject result = new JsonObject(response.body()).getJsonObject("result");
      assertNotNull(result, response.body());
      return result;
    });
  }
}
