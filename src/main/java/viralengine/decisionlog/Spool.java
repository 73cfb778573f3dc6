package viralengine.decisionlog;

import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The outage spool: a SQLite file in WAL mode with {@code synchronous=FULL}, so a committed append has
 * been fsync'd and survives a crash; a torn write at the end of the WAL is discarded by SQLite's own
 * checksums on the next open. Blocking: call it from one worker thread only.
 */
final class Spool implements AutoCloseable {
  static final String FILE_NAME = "spool.db";

  /** An entry and its position. */
  record Stored(long seq, String kind, JsonObject body) {}

  private final Connection db;
  private final PreparedStatement insert;
  private final PreparedStatement insertDecisionOnce;
  private long depth;

  private Spool(Connection db) throws SQLException {
    this.db = db;
    try (Statement st = db.createStatement()) {
      st.execute("PRAGMA journal_mode=WAL");
      st.execute("PRAGMA synchronous=FULL");
      st.execute("CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
          + " kind TEXT NOT NULL, request_id TEXT, body TEXT NOT NULL)");
      st.execute("CREATE INDEX IF NOT EXISTS entries_request_id ON entries (request_id)");
      st.execute("CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL,"
          + " reason TEXT NOT NULL, rejected_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))");
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM entries")) {
        depth = rs.next() ? rs.getLong(1) : 0;
      }
    }
    db.setAutoCommit(false);
    insert = db.prepareStatement("INSERT INTO entries (kind, request_id, body) VALUES (?, ?, ?)");
    insertDecisionOnce = db.prepareStatement("INSERT INTO entries (kind, request_id, body) SELECT ?, ?, ?"
        + " WHERE NOT EXISTS (SELECT 1 FROM entries WHERE request_id = ? AND kind = '" + LogCodec.DECISION + "')");
  }

  static Spool open(Path dir) throws Exception {
    Files.createDirectories(dir);
    return new Spool(DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(FILE_NAME)));
  }

  /**
   * Appends in one durable transaction. For each entry, whether it was added: a decision whose
   * request_id is already spooled for another decision is not, mirroring PostgreSQL's unique index.
   */
  List<Boolean> append(List<JsonObject> entries) throws SQLException {
    List<Boolean> added = new ArrayList<>(entries.size());
    try {
      for (JsonObject entry : entries) {
        String kind = entry.getString(LogCodec.KIND);
        String requestId = entry.getString("request_id");
        PreparedStatement st = LogCodec.DECISION.equals(kind) && requestId != null ? insertDecisionOnce : insert;
        st.setString(1, kind);
        st.setString(2, requestId);
        st.setString(3, entry.encode());
        if (st == insertDecisionOnce) {
          st.setString(4, requestId);
        }
        added.add(st.executeUpdate() == 1);
      }
      db.commit();
    } catch (SQLException e) {
      db.rollback();
      throw e;
    }
    depth += added.stream().filter(Boolean::booleanValue).count();
    return added;
  }

  /** The oldest {@code limit} entries, in order. */
  List<Stored> head(int limit) throws SQLException {
    List<Stored> stored = new ArrayList<>();
    try (PreparedStatement st = db.prepareStatement("SELECT seq, kind, body FROM entries ORDER BY seq LIMIT ?")) {
      st.setInt(1, limit);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          stored.add(new Stored(rs.getLong(1), rs.getString(2), new JsonObject(rs.getString(3))));
        }
      }
    }
    db.commit();
    return stored;
  }

  /** Removes every entry up to and including {@code seq}: they are in PostgreSQL now. */
  void deleteThrough(long seq) throws SQLException {
    try (PreparedStatement st = db.prepareStatement("DELETE FROM entries WHERE seq <= ?")) {
      st.setLong(1, seq);
      depth -= st.executeUpdate();
    }
    db.commit();
  }

  /** Moves an entry PostgreSQL refuses (not an outage: bad data) aside, so it never blocks replay. */
  void reject(Stored entry, String reason) throws SQLException {
    try (PreparedStatement move = db.prepareStatement("INSERT OR REPLACE INTO rejected (seq, kind, body, reason) VALUES (?, ?, ?, ?)");
         PreparedStatement delete = db.prepareStatement("DELETE FROM entries WHERE seq = ?")) {
      move.setLong(1, entry.seq());
      move.setString(2, entry.kind());
      move.setString(3, entry.body().encode());
      move.setString(4, reason);
      move.executeUpdate();
      delete.setLong(1, entry.seq());
      depth -= delete.executeUpdate();
    }
    db.commit();
  }

  /** The spooled decision recorded under this request_id, or null. */
  JsonObject findDecision(String requestId) throws SQLException {
    try (PreparedStatement st = db.prepareStatement("SELECT body FROM entries WHERE request_id = ? AND kind = '"
        + LogCodec.DECISION + "' ORDER BY seq LIMIT 1")) {
      st.setString(1, requestId);
      try (ResultSet rs = st.executeQuery()) {
        JsonObject found = rs.next() ? new JsonObject(rs.getString(1)) : null;
        db.commit();
        return found;
      }
    }
  }

  long depth() {
    return depth;
  }

  @Override
  public void close() throws SQLException {
    insert.close();
    insertDecisionOnce.close();
    db.close();
  }
}
