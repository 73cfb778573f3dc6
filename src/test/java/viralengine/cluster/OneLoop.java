package viralengine.cluster;

import viralengine.support.ServiceProcess;
import viralengine.support.TestDatabase;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

/** One loop active for everyone under a one-per-day cap, set by hand (as CapsInvariantIT does), and undone. */
final class OneLoop {
  private OneLoop() {}

  static void oncePerDay() {
    exec("UPDATE frequency_rules SET max_count = 1 WHERE id = 'global_daily'");
    exec("UPDATE viral_loops SET active = true, triggers = '{}', cooldown_seconds = 0, audience = '{\"requires_parental_consent\": false}',"
        + " targeting = '{}' WHERE name = 'buddy_challenge'");
  }

  static void restore() {
    exec("UPDATE viral_loops SET active = false");
    exec("UPDATE frequency_rules SET max_count = 3 WHERE id = 'global_daily'");
  }

  /** A hand edit sends no NOTIFY: waits for the periodic reload to show it. */
  static void awaitActive(ServiceProcess node) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (node.health().getInteger("active_loops") != 1) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the node never loaded the activated loop");
      }
      Thread.sleep(20);
    }
  }

  static void exec(String sql) {
    io.vertx.pgclient.PgConnectOptions db = io.vertx.pgclient.PgConnectOptions.fromUri(TestDatabase.get().url());
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/"
        + db.getDatabase(), db.getUser(), db.getPassword()); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
