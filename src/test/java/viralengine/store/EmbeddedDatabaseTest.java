package viralengine.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.store.EmbeddedDatabase.EmbeddedDatabaseException;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded server is set up for a service, not for throw-away tests. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EmbeddedDatabaseTest {

  @Test
  void itSyncsListensOnLoopbackOnlyAndKeepsItsDataAcrossAStop() throws Exception {
    Path dir = Path.of("target", "embedded-test-" + UUID.randomUUID().toString().substring(0, 8));
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir)) {
      assertEquals("on", show(db, "fsync"));
      assertEquals("on", show(db, "synchronous_commit"));
      assertEquals("127.0.0.1", show(db, "listen_addresses"));
      execute(db, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");

      EmbeddedDatabaseException second = assertThrows(EmbeddedDatabaseException.class, () -> EmbeddedDatabase.start(dir));
      assertTrue(second.getMessage().contains("is in use by another viral-engine process"), second.getMessage());
    }
    try (EmbeddedDatabase again = EmbeddedDatabase.start(dir)) {
      assertEquals("still here", query(again, "SELECT v FROM kept"));
    }
  }

  @Test
  void asRootWithoutUserNamespacesItSaysWhatToDo() {
    EmbeddedDatabaseException e = assertThrows(EmbeddedDatabaseException.class,
        () -> EmbeddedDatabase.refuseRootWithoutUserNamespaces(true, false));
    assertTrue(e.getMessage().contains("Run the service as a non-root user, or set DATABASE_URL"), e.getMessage());
    EmbeddedDatabase.refuseRootWithoutUserNamespaces(true, true);
    EmbeddedDatabase.refuseRootWithoutUserNamespaces(false, false);
  }

  @Test
  void aStalePidFileOfAnotherProcessIsNotAnOrphanAndIsRemoved() throws Exception {
    Path data = Path.of("target", "embedded-stale-" + UUID.randomUUID().toString().substring(0, 8));
    java.nio.file.Files.createDirectories(data);
    // Our own JVM is alive, but its command line does not name the data directory.
    java.nio.file.Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
    assertEquals(-1, Orphans.stopOrphan(data.toAbsolutePath()));
    assertTrue(ProcessHandle.current().isAlive());
    assertTrue(java.nio.file.Files.notExists(data.resolve("postmaster.pid")));
  }

  private static String show(EmbeddedDatabase db, String setting) throws Exception {
    return query(db, "SHOW " + setting);
  }

  private static String query(EmbeddedDatabase db, String sql) throws Exception {
    try (Connection c = connect(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void execute(EmbeddedDatabase db, String sql) throws Exception {
    try (Connection c = connect(db); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static Connection connect(EmbeddedDatabase db) throws Exception {
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + db.port() + "/postgres", "postgres", null);
  }
}
