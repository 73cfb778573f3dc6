package viralengine.admin;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static viralengine.admin.AdminFixtures.ok;
import static viralengine.support.TestService.await;

/**
 * Optimistic concurrency under a real race: ten writers send the same expected_version, and a test transaction
 * holds the row until several of them are inside their transactions at once, waiting on it; exactly one wins.
 * Without the row lock and the conditional UPDATE, every writer in flight would write (checked by mutation).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminRaceTest {
  static final int WRITERS = 10;
  /**
   * How many writers must be inside their transactions, waiting on the row, before it is released: enough to
   * make a lost update certain without the guard, few enough to gather well within the admin send timeout
   * (opening pool connections is slow on a loaded box). The rest arrive later and must conflict too.
   */
  static final int IN_FLIGHT = 4;
  static TestService svc;

  @BeforeAll
  static void start() {
    // One pool connection per writer, so all of them reach PostgreSQL at the same time.
    svc = TestService.start(new JsonObject().put("database", new JsonObject().put("pool_size", WRITERS + 2)));
  }

  @AfterAll
  static void stop() {
    AdminFixtures.restoreSeeds(svc);
    svc.close();
  }

  @BeforeEach
  void reset() {
    AdminFixtures.restoreSeeds(svc);
  }

  @Test
  void tenWritersWithTheSameExpectedVersionInFlightTogetherHaveExactlyOneWinner() {
    JsonObject read = ok(svc, "get_loop", new JsonObject().put("name", "buddy_challenge")).getJsonObject("loop");
    read.remove("version");
    Promise<Void> release = Promise.promise();
    Promise<Void> held = Promise.promise();
    Future<Void> blocker = svc.sql.withTransaction(conn -> conn.query("SELECT 1 FROM viral_loops WHERE name = 'buddy_challenge' FOR UPDATE")
        .execute().compose(rows -> {
          held.complete();
          return release.future();
        }));
    await(held.future());

    List<Future<JsonObject>> racers = new ArrayList<>();
    for (int i = 0; i < WRITERS; i++) {
      JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", i).put("method", "upsert_loop")
          .put("params", new JsonObject().put("loop", read.copy().put("priority", 100 + i)).put("expected_version", 1));
      racers.add(svc.http.post(svc.port, "127.0.0.1", "/mcp/admin").putHeader("content-type", "application/json")
          .sendBuffer(Buffer.buffer(request.encode())).map(r -> r.bodyAsJsonObject()));
    }
    Promise<Void> allWaiting = Promise.promise();
    awaitLockWaiters(IN_FLIGHT, allWaiting, System.currentTimeMillis() + 4_000);
    long t0 = System.currentTimeMillis();
    await(allWaiting.future());
    System.out.printf("admin race: %d writers waiting on the row after %d ms%n", IN_FLIGHT, System.currentTimeMillis() - t0);
    release.complete();
    await(blocker);
    await(Future.join(racers));

    int winners = 0;
    int conflicts = 0;
    for (Future<JsonObject> racer : racers) {
      JsonObject response = racer.result();
      if (response.containsKey("result")) {
        winners++;
        assertEquals(2L, response.getJsonObject("result").getJsonObject("loop").getLong("version"));
      } else if (response.getJsonObject("error").getInteger("code") == -32005) {
        conflicts++;
      }
    }
    assertEquals(1, winners);
    assertEquals(WRITERS - 1, conflicts);
    assertEquals(2L, svc.count("SELECT version FROM viral_loops WHERE name = 'buddy_challenge'"));
    assertEquals(1, svc.count("SELECT count(*) FROM config_changes"));
  }

  /** Polls until {@code wanted} backends wait on a lock (a wait with a deadline, not a sleep). */
  private static void awaitLockWaiters(int wanted, Promise<Void> done, long deadline) {
    svc.sql.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        .execute().onComplete(rows -> {
          if (rows.succeeded() && rows.result().iterator().next().getLong(0) >= wanted) {
            done.complete();
          } else if (System.currentTimeMillis() > deadline) {
            done.fail("only " + (rows.succeeded() ? rows.result().iterator().next().getLong(0) : "?")
                + " writers reached the row lock within 4 s");
          } else {
            svc.vertx.setTimer(20, id -> awaitLockWaiters(wanted, done, deadline));
          }
        });
  }
}
