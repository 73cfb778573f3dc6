package viralengine.admin;

import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.loops.Catalog;
import viralengine.loops.CatalogWatcher;
import viralengine.loops.Loop;
import viralengine.support.TestDatabase;
import viralengine.support.TestService;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.admin.AdminFixtures.ok;
import static viralengine.admin.AdminFixtures.streakShare;
import static viralengine.support.TestService.await;

/**
 * A change made through one instance reaches a SECOND service instance on the same database within 1 s,
 * through LISTEN/NOTIFY; the periodic reload still catches what no notification announces, and a lost
 * LISTEN connection is re-established.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CatalogPropagationTest {
  static final long ONE_SECOND_MS = 1_000;
  static TestService first;
  static TestService second;

  @BeforeAll
  static void start() {
    // The periodic reload is set far out, so only a notification can explain a change seen within a second.
    JsonObject slowRefresh = new JsonObject().put("orchestrator", new JsonObject().put("loops_refresh_ms", 600_000));
    first = TestService.start(slowRefresh);
    second = TestService.start(slowRefresh);
  }

  @AfterAll
  static void stop() {
    AdminFixtures.restoreSeeds(first);
    second.close();
    first.close();
  }

  @BeforeEach
  void reset() {
    AdminFixtures.restoreSeeds(first);
    await(first.service.catalog().reload());
    await(second.service.catalog().reload());
  }

  /** Completes with the catalog, and when it was seen, once {@code watcher} has one that satisfies {@code wanted}. */
  static CompletableFuture<Long> seen(CatalogWatcher watcher, Predicate<Catalog> wanted) {
    CompletableFuture<Long> at = new CompletableFuture<>();
    watcher.onChange(catalog -> {
      if (wanted.test(catalog)) {
        at.complete(System.nanoTime());
      }
    });
    if (wanted.test(watcher.current())) {
      at.complete(System.nanoTime());
    }
    return at;
  }

  static long millisUntil(CompletableFuture<Long> seen, long committedNanos, long deadlineMs) throws Exception {
    long at = seen.get(deadlineMs, TimeUnit.MILLISECONDS);
    return TimeUnit.NANOSECONDS.toMillis(at - committedNanos);
  }

  static boolean active(Catalog catalog, String name) {
    return catalog.loops().stream().anyMatch(l -> l.name().equals(name) && l.active());
  }

  @Test
  void activatingALoopOnOneInstanceIsSeenByTheSecondWithinOneSecond() throws Exception {
    CompletableFuture<Long> onSecond = seen(second.service.catalog(), c -> active(c, "buddy_challenge"));
    long sent = System.nanoTime();
    JsonObject result = ok(first, "set_loop_active", new JsonObject().put("name", "buddy_challenge").put("active", true));
    long answered = System.nanoTime();
    long ms = millisUntil(onSecond, sent, ONE_SECOND_MS);
    System.out.printf("catalog propagation: seen by the second instance %d ms after the admin call was sent"
        + " (the call itself took %d ms)%n", ms, TimeUnit.NANOSECONDS.toMillis(answered - sent));
    assertEquals(result.getLong("config_version"), second.service.catalog().current().configVersion());
    assertTrue(ms < ONE_SECOND_MS, ms + " ms");
  }

  @Test
  void aNewLoopAndARuleChangeReachTheSecondInstanceWithTheirContent() throws Exception {
    ok(first, "upsert_loop", new JsonObject().put("loop", streakShare()));
    JsonObject rule = new JsonObject().put("id", "global_daily").put("scope", "global").put("max_count", 1).put("period", "calendar_day");
    CompletableFuture<Long> onSecond = seen(second.service.catalog(), c -> c.rules().size() == 1 && c.rules().get(0).maxCount() == 1
        && c.loops().stream().anyMatch(l -> l.name().equals("streak_share")));
    long sent = System.nanoTime();
    long version = ok(first, "upsert_frequency_rule", new JsonObject().put("rule", rule)).getLong("config_version");
    assertTrue(millisUntil(onSecond, sent, ONE_SECOND_MS) < ONE_SECOND_MS);
    Catalog catalog = second.service.catalog().current();
    assertEquals(version, catalog.configVersion());
    Loop loop = catalog.loops().get(0);
    assertEquals("streak_share", loop.name(), "highest priority first");
    assertTrue(loop.targeting().matches(new JsonObject().put("context", new JsonObject().put("streak_days", 9))));
    assertTrue(!loop.targeting().matches(new JsonObject().put("context", new JsonObject().put("streak_days", 2))));
  }

  @Test
  void thePeriodicReloadPicksUpAChangeThatSentNoNotification() throws Exception {
    CatalogWatcher watcher = new CatalogWatcher(first.vertx, first.sql, PgConnectOptions.fromUri(TestDatabase.get().url()), 200);
    try {
      await(watcher.start());
      CompletableFuture<Long> picked = seen(watcher, c -> c.configVersion() == 424_242);
      // A hand-written audit row: no pg_notify, so only the periodic reload can find it.
      first.query("INSERT INTO config_changes (id, actor, entity, key, action) VALUES (424242, 'sql', 'loop', 'x', 'update')");
      picked.get(5, TimeUnit.SECONDS);
    } finally {
      await(watcher.close());
    }
  }

  @Test
  void afterItsListenConnectionIsKilledTheWatcherReconnectsAndStillHearsChanges() throws Exception {
    CatalogWatcher watcher = second.service.catalog();
    long listeners = first.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    assertEquals(2, listeners, "one LISTEN connection per instance");
    // Kill every LISTEN connection; the next change must still arrive, over the re-established one.
    first.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    Promise<Void> relistening = Promise.promise();
    awaitListeners(2, relistening, System.currentTimeMillis() + 10_000);
    await(relistening.future());
    CompletableFuture<Long> onSecond = seen(watcher, c -> active(c, "proud_parent"));
    long sent = System.nanoTime();
    ok(first, "set_loop_active", new JsonObject().put("name", "proud_parent").put("active", true));
    long ms = millisUntil(onSecond, sent, ONE_SECOND_MS);
    assertTrue(ms < ONE_SECOND_MS, ms + " ms");
    System.out.printf("catalog propagation after a reconnect: %d ms%n", ms);
  }

  /** Polls pg_stat_activity until both instances LISTEN again (a wait with a deadline, not a sleep). */
  private static void awaitListeners(long wanted, Promise<Void> done, long deadline) {
    first.sql.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        + " AND state = 'idle'").execute().onComplete(rows -> {
          if (rows.succeeded() && rows.result().iterator().next().getLong(0) >= wanted) {
            done.complete();
          } else if (System.currentTimeMillis() > deadline) {
            done.fail("the watchers did not LISTEN again within 10 s");
          } else {
            first.vertx.setTimer(50, id -> awaitListeners(wanted, done, deadline));
          }
        });
  }
}
