package viralengine.decisionlog;

import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestDatabase;
import viralengine.support.TestService;
import viralengine.store.DecisionRecord;
import viralengine.store.EventRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A spool as a crash or a careless backup leaves it: a hot copy of {@code spool.db} and its WAL taken
 * while a writer keeps committing, and the same copy with its last WAL commit frame torn. The service
 * must start on either, replay exactly what SQLite says the copy holds (a prefix of what was written,
 * without holes), and end with an empty spool. An entry PostgreSQL refuses for its content is set aside
 * in the spool's {@code rejected} table and reported, and the entries after it still arrive.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpoolDamageTest {
  static final String WAL = Spool.FILE_NAME + "-wal";
  static final String SHM = Spool.FILE_NAME + "-shm";
  static final int WAL_HEADER_BYTES = 32;
  static final int FRAME_HEADER_BYTES = 24;
  /** Entries the writer must have committed before the copy is taken: enough to span a WAL checkpoint. */
  static final int WRITTEN_BEFORE_COPY = 1_500;
  static final int TORN_BYTES = 300;

  /**
   * Migrates this run's database before the damage tests, so they test damage only; a spool replayed
   * into a database that is not migrated yet has its own test.
   */
  @BeforeAll
  static void migrate() {
    TestService.start().close();
  }

  // ---------------------------------------------------------------------------------------------
  // Tests

  @Test
  void aHotCopyTakenMidWriteReplaysExactlyTheCommittedPrefixAndEmptiesTheSpool() throws Exception {
    WriterRun run = writeWhileCopying();
    List<Spool.Stored> held = whatSqliteReads(run.copy);
    assertTrue(held.size() >= run.committedBeforeCopy,
        "everything committed before the copy began is in it: " + held.size() + " < " + run.committedBeforeCopy);
    assertTrue(held.size() < run.written.size(), "the copy was taken mid-write: the writer went on after it");
    assertPrefixOfWhatWasWritten(held, run.written);

    replayAndCheck(run.copy, held, run.written);
  }

  @Test
  void aHotCopyWhoseLastWalFrameIsTornReplaysTheCommitsBeforeItAndEmptiesTheSpool() throws Exception {
    WriterRun run = writeWhileCopying();
    List<Spool.Stored> whole = whatSqliteReads(run.copy);
    Path torn = duplicate(run.copy, "torn-");
    long cut = tearLastCommitFrame(torn.resolve(WAL));
    List<Spool.Stored> held = whatSqliteReads(torn);
    assertTrue(held.size() < whole.size(),
        "tearing the last commit frame (WAL cut at " + cut + ") drops that transaction: " + held.size() + " vs " + whole.size());
    assertFalse(held.isEmpty(), "the commits before the torn frame are still read");
    assertPrefixOfWhatWasWritten(held, run.written);

    replayAndCheck(torn, held, run.written);
  }

  @Test
  void anEntryPostgresRefusesIsSetAsideReportedAndDoesNotBlockTheEntriesAfterIt() throws Exception {
    String tag = tag();
    Path dir = Path.of(TestService.newSpoolDir());
    DecisionRecord first = decision(tag, 0, "practice_completed");
    DecisionRecord refused = decision(tag, 1, null); // viral_events.event_type is NOT NULL: a data error, not an outage
    List<DecisionRecord> after = List.of(decision(tag, 2, "session_ended"), decision(tag, 3, "diagnostic_completed"));
    try (Spool spool = Spool.open(dir)) {
      spool.append(List.of(LogCodec.encode(first)));
      spool.append(List.of(LogCodec.encode(refused), LogCodec.encode(after.get(0))));
      spool.append(List.of(LogCodec.encode(after.get(1))));
    }
    long refusedSeq = whatSqliteReads(dir).stream()
        .filter(s -> refused.decisionId().toString().equals(s.body().getString("decision_id")))
        .findFirst().orElseThrow().seq();

    JsonObject health;
    try (TestService svc = TestService.start(spoolAt(dir))) {
      health = awaitDrained(svc);
      for (DecisionRecord arrived : List.of(first, after.get(0), after.get(1))) {
        assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions a JOIN viral_events e ON e.event_id = a.event_id"
            + " WHERE a.decision_id = $1 AND a.request_id = $2", arrived.decisionId(), arrived.requestId()),
            "entry " + arrived.requestId() + " reached PostgreSQL with its event");
      }
      assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", refused.decisionId()));
      assertEquals(0, svc.count("SELECT count(*) FROM viral_events WHERE event_id = $1", refused.event().eventId()));
    }

    JsonObject lastError = health.getJsonObject("last_error");
    assertNotNull(lastError, "health reports the refused entry: " + health.encode());
    String message = lastError.getString("message");
    assertTrue(message.contains("spooled entry " + refusedSeq + " rejected"), message);
    assertTrue(message.contains("event_type"), "the reason names the column: " + message);

    List<Map<String, String>> rejected = sqliteRows(dir, "SELECT seq, body, reason FROM rejected ORDER BY seq");
    assertEquals(1, rejected.size(), "only the refused entry is set aside: " + rejected);
    assertEquals(Long.toString(refusedSeq), rejected.get(0).get("seq"));
    assertEquals(refused.decisionId().toString(), new JsonObject(rejected.get(0).get("body")).getString("decision_id"));
    assertTrue(rejected.get(0).get("reason").contains("event_type"), rejected.get(0).get("reason"));
    assertEquals("0", sqliteRows(dir, "SELECT count(*) AS n FROM entries").get(0).get("n"));
  }

  @Test
  void aSpoolLeftByAnEarlierRunWaitsForTheMigrationsInsteadOfRejectingItsEntries() throws Exception {
    String tag = tag();
    Path dir = Path.of(TestService.newSpoolDir());
    List<DecisionRecord> spooled = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      spooled.add(decision(tag, i, "session_ended"));
    }
    try (Spool spool = Spool.open(dir)) {
      spool.append(spooled.stream().map(LogCodec::encode).toList());
    }
    PgConnectOptions server = PgConnectOptions.fromUri(TestDatabase.get().url());
    String fresh = "viral_test_fresh_" + tag;
    try (Connection admin = jdbc(server, server.getDatabase()); Statement st = admin.createStatement()) {
      st.execute("CREATE DATABASE " + fresh);
    }
    try {
      String url = "postgresql://" + server.getUser() + (server.getPassword() == null ? "" : ":" + server.getPassword())
          + "@" + server.getHost() + ":" + server.getPort() + "/" + fresh;
      try (TestService svc = TestService.start(spoolAt(dir).put("database", new JsonObject().put("url", url)))) {
        awaitDrained(svc);
      }
      assertEquals(List.of(), sqliteRows(dir, "SELECT seq, reason FROM rejected"),
          "no spooled entry is set aside because the tables did not exist yet");
      try (Connection db = jdbc(server, fresh);
           java.sql.PreparedStatement st = db.prepareStatement("SELECT count(*) FROM agent_decisions WHERE decision_id = ANY(?)")) {
        st.setArray(1, db.createArrayOf("uuid", spooled.stream().map(DecisionRecord::decisionId).toArray()));
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          assertEquals(spooled.size(), rs.getLong(1), "every spooled decision reached PostgreSQL");
        }
      }
    } finally {
      try (Connection admin = jdbc(server, server.getDatabase()); Statement st = admin.createStatement()) {
        st.execute("DROP DATABASE IF EXISTS " + fresh + " WITH (FORCE)");
      }
    }
  }

  static Connection jdbc(PgConnectOptions server, String database) throws java.sql.SQLException {
    return DriverManager.getConnection("jdbc:postgresql://" + server.getHost() + ":" + server.getPort() + "/" + database,
        server.getUser(), server.getPassword());
  }

  // ---------------------------------------------------------------------------------------------
  // The writer and the hot copy

  /** What one writer wrote, in commit order, and the hot copy taken while it wrote. */
  record WriterRun(List<DecisionRecord> written, int committedBeforeCopy, Path copy) {}

  /**
   * Runs a writer that appends realistic decisions in small transactions through the real {@link Spool},
   * and copies {@code spool.db}, then {@code -shm}, then the WAL while it writes. A WAL reset (after a
   * checkpoint) between copying the database and the WAL would pair an old database with a new WAL, which
   * no crash can produce; that copy is discarded and taken again.
   */
  static WriterRun writeWhileCopying() throws Exception {
    Path source = Path.of(TestService.newSpoolDir());
    Writer writer = new Writer(source, tag());
    Thread thread = new Thread(writer, "spool-writer");
    thread.start();
    try {
      for (int attempt = 1; attempt <= 20; attempt++) {
        awaitCommitted(writer, writer.committed() + (attempt == 1 ? WRITTEN_BEFORE_COPY : 50));
        int before = writer.committed();
        Path copy = Path.of(TestService.newSpoolDir());
        byte[] headerBefore = walGeneration(source.resolve(WAL));
        Files.copy(source.resolve(Spool.FILE_NAME), copy.resolve(Spool.FILE_NAME));
        if (Files.exists(source.resolve(SHM))) {
          Files.copy(source.resolve(SHM), copy.resolve(SHM));
        }
        Files.copy(source.resolve(WAL), copy.resolve(WAL));
        byte[] headerAfter = walGeneration(source.resolve(WAL));
        if (Arrays.equals(headerBefore, headerAfter) && Arrays.equals(headerBefore, walGeneration(copy.resolve(WAL)))) {
          awaitCommitted(writer, writer.committed() + 50); // the writer goes on after the copy
          return new WriterRun(writer.stopAndGet(thread), before, copy);
        }
      }
      fail("every copy straddled a WAL reset");
      return null;
    } finally {
      writer.stop = true;
      thread.join(10_000);
    }
  }

  static final class Writer implements Runnable {
    final Path dir;
    final String tag;
    final List<DecisionRecord> written = new ArrayList<>();
    volatile boolean stop;
    volatile Throwable failure;

    Writer(Path dir, String tag) {
      this.dir = dir;
      this.tag = tag;
    }

    @Override
    public void run() {
      String[] types = {"practice_completed", "session_ended", "diagnostic_completed"};
      try (Spool spool = Spool.open(dir)) {
        int n = 0;
        for (int tx = 0; !stop; tx++) {
          List<DecisionRecord> batch = new ArrayList<>();
          for (int i = 0; i <= tx % 3; i++) {
            batch.add(decision(tag, n, types[n % types.length]));
            n++;
          }
          List<Boolean> added = spool.append(batch.stream().map(LogCodec::encode).toList());
          assertEquals(List.of(true, true, true).subList(0, batch.size()), added);
          synchronized (this) {
            written.addAll(batch);
          }
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    synchronized int committed() {
      return written.size();
    }

    List<DecisionRecord> stopAndGet(Thread thread) throws InterruptedException {
      stop = true;
      thread.join(10_000);
      assertFalse(thread.isAlive(), "the writer stopped");
      assertNull(failure, () -> "the writer failed: " + failure);
      synchronized (this) {
        return List.copyOf(written);
      }
    }
  }

  static void awaitCommitted(Writer writer, int entries) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (writer.committed() < entries) {
      assertNull(writer.failure, () -> "the writer failed: " + writer.failure);
      assertTrue(System.currentTimeMillis() < deadline, "the writer is too slow: " + writer.committed() + " entries");
      Thread.sleep(5);
    }
  }

  /** A realistic trigger_event decision, shaped as the orchestrator records it. */
  static DecisionRecord decision(String tag, int n, String eventType) {
    UUID decisionId = UUID.randomUUID();
    UUID eventId = UUID.randomUUID();
    String requestId = "req-" + tag + "-" + n;
    String userId = "learner-" + (n % 17);
    JsonObject context = new JsonObject().put("skill", "fractions").put("score", 0.5 + (n % 50) / 100.0).put("n", n);
    JsonObject params = new JsonObject().put("event_type", eventType).put("user_id", userId).put("request_id", requestId)
        .put("context", context);
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    JsonObject result = new JsonObject().put("decision_id", decisionId.toString()).put("event_id", eventId.toString())
        .put("event_type", eventType).put("handler", eventType + "_handler").put("action", "logged").putNull("loop")
        .put("rationale", "Phase 1: Event logged, no loops active yet").put("latency_ms", 0.42);
    JsonObject features = new JsonObject().put("event_type", eventType).put("loops_evaluated", 4)
        .put("handler", eventType + "_handler").put("action", "logged");
    return new DecisionRecord(decisionId, requestId, "trigger_event", userId, params, result,
        "Phase 1: Event logged, no loops active yet", features, null, 0.42,
        new EventRecord(eventId, eventType, userId, now.minusSeconds(1), now, context));
  }

  // ---------------------------------------------------------------------------------------------
  // SQLite files

  /** Bytes 12..24 of the WAL header: checkpoint sequence and salts, which change when the WAL is reset. */
  static byte[] walGeneration(Path wal) throws IOException {
    try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(WAL_HEADER_BYTES);
      while (header.hasRemaining() && ch.read(header) > 0) {
        // read the whole header
      }
      return Arrays.copyOfRange(header.array(), 12, 24);
    }
  }

  /**
   * Cuts the WAL a few hundred bytes before the end of its last complete commit frame of the current
   * generation, so the last transaction the copy held is torn. Returns the new length.
   */
  static long tearLastCommitFrame(Path wal) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(wal));
    int pageSize = b.getInt(8);
    int salt1 = b.getInt(16);
    int salt2 = b.getInt(20);
    long frameSize = FRAME_HEADER_BYTES + pageSize;
    long lastCommitEnd = -1;
    for (long off = WAL_HEADER_BYTES; off + frameSize <= b.limit(); off += frameSize) {
      int at = (int) off;
      if (b.getInt(at + 8) != salt1 || b.getInt(at + 12) != salt2) {
        break; // a frame of an earlier generation: the end of this one
      }
      if (b.getInt(at + 4) != 0) {
        lastCommitEnd = off + frameSize;
      }
    }
    assertTrue(lastCommitEnd > 0, "the hot copy's WAL holds a commit frame");
    long cut = lastCommitEnd - TORN_BYTES;
    try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.WRITE)) {
      ch.truncate(cut);
    }
    return cut;
  }

  /** Copies a spool directory's files as they are. */
  static Path duplicate(Path dir, String prefix) throws IOException {
    Path copy = Files.createTempDirectory(Path.of("target", "spools"), prefix);
    for (String name : List.of(Spool.FILE_NAME, WAL, SHM)) {
      if (Files.exists(dir.resolve(name))) {
        Files.copy(dir.resolve(name), copy.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    return copy;
  }

  /** What the spool in {@code dir} holds, read through {@link Spool} from an untouched duplicate. */
  static List<Spool.Stored> whatSqliteReads(Path dir) throws Exception {
    try (Spool spool = Spool.open(duplicate(dir, "probe-"))) {
      return spool.head(Integer.MAX_VALUE);
    }
  }

  static List<Map<String, String>> sqliteRows(Path dir, String sql) throws Exception {
    List<Map<String, String>> rows = new ArrayList<>();
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Spool.FILE_NAME));
         Statement st = db.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        Map<String, String> row = new HashMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  // ---------------------------------------------------------------------------------------------
  // Checks

  /** SQLite commits are atomic: the copy holds the first N entries written, with no holes. */
  static void assertPrefixOfWhatWasWritten(List<Spool.Stored> held, List<DecisionRecord> written) {
    assertTrue(held.size() <= written.size());
    for (int i = 0; i < held.size(); i++) {
      assertEquals(written.get(i).decisionId().toString(), held.get(i).body().getString("decision_id"),
          "entry " + i + " of the copy is entry " + i + " of what was written");
    }
  }

  /**
   * Starts the service on {@code dir}, waits until the spool is drained, and checks PostgreSQL holds
   * exactly the {@code held} entries, once each, and none of the other entries written.
   */
  static void replayAndCheck(Path dir, List<Spool.Stored> held, List<DecisionRecord> written) throws Exception {
    UUID[] allDecisions = written.stream().map(DecisionRecord::decisionId).toArray(UUID[]::new);
    UUID[] allEvents = written.stream().map(d -> d.event().eventId()).toArray(UUID[]::new);
    try (TestService svc = TestService.start(spoolAt(dir))) {
      JsonObject health = awaitDrained(svc);
      assertEquals("ok", health.getString("status"), health.encode());

      List<String> expected = held.stream().map(s -> s.body().getString("decision_id")).sorted().toList();
      List<String> stored = new ArrayList<>();
      for (Row row : svc.query("SELECT decision_id::text AS id FROM agent_decisions WHERE decision_id = ANY($1)"
          + " ORDER BY decision_id::text", (Object) allDecisions)) {
        stored.add(row.getString("id"));
      }
      assertSameIds(expected, stored);

      assertEquals(held.size(), svc.count("SELECT count(*) FROM viral_events WHERE event_id = ANY($1)", (Object) allEvents),
          "one event per replayed decision, and none for entries the copy did not hold");
      assertEquals(held.size(), svc.count("SELECT count(*) FROM agent_decisions a JOIN viral_events e"
          + " ON e.event_id = a.event_id AND e.request_id = a.request_id"
          + " WHERE a.decision_id = ANY($1) AND a.success AND a.method = 'trigger_event'", (Object) allDecisions),
          "each decision is linked to its event under its own request_id");
      Spool.Stored last = held.get(held.size() - 1);
      assertEquals(last.body().getJsonObject("input_params"), svc.query("SELECT input_params FROM agent_decisions"
          + " WHERE decision_id = $1", UUID.fromString(last.body().getString("decision_id"))).iterator().next()
          .getJsonObject("input_params"), "the last entry round-trips intact");
    }
    assertEquals("0", sqliteRows(dir, "SELECT count(*) AS n FROM entries").get(0).get("n"), "the spool is empty");
    assertEquals("0", sqliteRows(dir, "SELECT count(*) AS n FROM rejected").get(0).get("n"), "nothing was refused");
  }

  /** Compares two sorted id lists, naming only the counts and a few differences when they differ. */
  static void assertSameIds(List<String> expected, List<String> stored) {
    if (!expected.equals(stored)) {
      List<String> missing = expected.stream().filter(id -> !stored.contains(id)).limit(5).toList();
      List<String> extra = stored.stream().filter(id -> !expected.contains(id)).limit(5).toList();
      fail("PostgreSQL should hold exactly the " + expected.size() + " entries the copy held, each once; it holds "
          + stored.size() + " of the writer's entries. Missing (first 5): " + missing + "; not in the copy (first 5): " + extra);
    }
  }

  /** Polls health until the spool is drained and no longer in use; returns that health body. */
  static JsonObject awaitDrained(TestService svc) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    JsonObject health;
    while (true) {
      health = svc.get("/mcp/orchestrator/health").bodyAsJsonObject();
      JsonObject spool = health.getJsonObject("spool");
      if (spool != null && spool.getLong("depth") == 0 && !spool.getBoolean("active")) {
        return health;
      }
      assertTrue(System.currentTimeMillis() < deadline, "the spool did not drain: " + health.encode());
      Thread.sleep(50);
    }
  }

  static JsonObject spoolAt(Path dir) {
    return new JsonObject().put("spool", new JsonObject().put("dir", dir.toString()));
  }

  static String tag() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
