package viralengine.support;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Issue #23's black-box check of idempotency. Sends select_loop and trigger_event over real HTTP under request_ids of
 * its own (always with the same params for the same request_id, so a repeat is a true retry), records every answer,
 * and then checks, against PostgreSQL, what must hold for every request_id whatever happened on the way:
 * <ol>
 *   <li>every JSON-RPC result for it carries the same decision_id (error answers, such as the retriable -32003 the
 *       service gives when it cannot know in time whether the request_id was decided, are not decisions and are
 *       ignored; a retry after one may get a decision);</li>
 *   <li>exactly one agent_decisions row holds it in its request_id column (when it was answered with a result, that
 *       row is the answered decision), no other row names it in {@code features_used->>'request_id'}, and at most one
 *       viral_events row belongs to it;</li>
 *   <li>every decision_id given in a result has its agent_decisions row.</li>
 * </ol>
 * The final check runs only once every service named has drained (no pending writes, an empty spool not in use) and
 * PostgreSQL runs no INSERT left over from a write whose caller stopped waiting.
 */
public final class IdempotencyLedger {
  public static final String SELECT_LOOP = "select_loop";
  public static final String TRIGGER_EVENT = "trigger_event";

  /** One answer: where it came from, and the decision it carried or the error code. */
  public record Answer(String requestId, int port, String phase, String decisionId, Integer errorCode,
      String errorMessage, JsonObject errorData, String failure) {
    public boolean isResult() {
      return decisionId != null;
    }
  }

  private final String prefix;
  private final Map<String, String> methods = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
  private int next;
  /** What the test is doing now (e.g. "lock 1", "after restart"); each answer records it, and so do violations. */
  private volatile String phase = "start";

  /**
   * The environment of the report's black-box run, for a JAR on this run's database and {@code spoolDir}: a 1 s SLA
   * (the spool answers, not the breaker's default), an idempotency cache of 8 (retries reach the database as after ten
   * minutes or a restart), spool.flush_timeout_ms at its default of 100. The breaker is not under test: a noisy machine
   * must not turn a few slow calls into an open circuit.
   */
  /**
   * An in-process service as the report ran it: a 1 s SLA (the spool answers, not the breaker's default), an
   * idempotency cache of 8 (retries reach the database as after ten minutes or a restart), spool.flush_timeout_ms at
   * its default of 100, the breaker at its defaults (whatever it does, the three properties must hold); warmed up.
   */
  public static TestService reportService() {
    TestService svc = TestService.start(new io.vertx.core.json.JsonObject()
        .put("orchestrator", new io.vertx.core.json.JsonObject().put("timeout_ms", 1_000).put("idempotency_cache_size", 8))
        .put("spool", new io.vertx.core.json.JsonObject().put("dir", TestService.newSpoolDir()).put("flush_timeout_ms", 100)));
    try {
      warmUp(svc.port);
    } catch (Exception e) {
      svc.close();
      throw new IllegalStateException(e);
    }
    return svc;
  }

  public static Map<String, String> reportEnv(String spoolDir) {
    Map<String, String> env = new HashMap<>();
    env.put("SPOOL_DIR", spoolDir);
    env.put("ORCHESTRATOR_TIMEOUT_MS", "1000");
    env.put("ORCHESTRATOR_IDEMPOTENCY_CACHE_SIZE", "8");
    env.put("SPOOL_FLUSH_TIMEOUT_MS", "100");
    env.put("SHUTDOWN_DRAIN_TIMEOUT_MS", "10000");
    return env;
  }

  /** A ledger whose request_ids start with {@code tag} and a random part, unique to this run. */
  public IdempotencyLedger(String tag) {
    this.prefix = tag + "-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  }

  /** Names what the test does from now on; the answers sent from now on carry the name. */
  public void phase(String name) {
    this.phase = name;
  }

  /** {@code n} new request_ids, select_loop and trigger_event in turn. */
  public synchronized List<String> newIds(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = next++;
      String method = k % 2 == 0 ? SELECT_LOOP : TRIGGER_EVENT;
      String id = prefix + (method.equals(SELECT_LOOP) ? "s" : "t") + k;
      methods.put(id, method);
      ids.add(id);
    }
    return ids;
  }

  public Set<String> allIds() {
    return new LinkedHashSet<>(methods.keySet());
  }

  /** The params this request_id is always sent with. */
  public JsonObject params(String requestId) {
    String user = "learner-" + requestId;
    if (SELECT_LOOP.equals(methods.get(requestId))) {
      return new JsonObject().put("user_id", user).put("event_type", "session_ended").put("request_id", requestId);
    }
    return new JsonObject().put("event_type", "practice_completed").put("user_id", user).put("request_id", requestId)
        .put("context", new JsonObject().put("minutes", 12));
  }

  /** Sends {@code requestId} to the service on {@code port}; never fails: the answer says what happened. */
  public CompletableFuture<Answer> send(int port, String requestId) {
    return post(port, methods.get(requestId), requestId, params(requestId));
  }

  private CompletableFuture<Answer> post(int port, String method, String requestId, JsonObject params) {
    JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", requestId).put("method", method)
        .put("params", params);
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp/orchestrator/" + method))
        .header("content-type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    String sentIn = phase;
    return ServiceProcess.HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          Answer answer = response == null ? new Answer(requestId, port, sentIn, null, null, null, null, String.valueOf(error))
              : parse(requestId, port, sentIn, response.statusCode(), response.body());
          answers.add(answer);
          return answer;
        });
  }

  private static Answer parse(String requestId, int port, String phase, int status, String text) {
    JsonObject json;
    try {
      json = text == null || text.isEmpty() ? new JsonObject() : new JsonObject(text);
    } catch (RuntimeException notJson) {
      return new Answer(requestId, port, phase, null, null, null, null, "HTTP " + status + ": " + text);
    }
    JsonObject result = json.getJsonObject("result");
    if (result != null) {
      return new Answer(requestId, port, phase, result.getString("decision_id"), null, null, null, null);
    }
    JsonObject error = json.getJsonObject("error");
    if (error != null) {
      Object data = error.getValue("data");
      return new Answer(requestId, port, phase, null, error.getInteger("code"), error.getString("message"),
          data instanceof JsonObject d ? d : null, null);
    }
    return new Answer(requestId, port, phase, null, null, null, null, "HTTP " + status + ": " + text);
  }

  /** Sends each of {@code ids} once, all at the same time, to {@code port}. */
  public CompletableFuture<List<Answer>> sendAll(int port, Collection<String> ids) {
    List<CompletableFuture<Answer>> sent = ids.stream().map(id -> send(port, id)).toList();
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
        .thenApply(v -> sent.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Sends each of {@code ids} {@code times} times, {@code gapMs} apart (all ids together each round), to the ports in
   * turn; returns once every answer is in.
   */
  public List<Answer> sendRepeatedly(Collection<String> ids, int times, long gapMs, int... ports) throws Exception {
    List<CompletableFuture<Answer>> sent = new ArrayList<>();
    for (int round = 0; round < times; round++) {
      if (round > 0) {
        Thread.sleep(gapMs);
      }
      for (String id : ids) {
        sent.add(send(ports[round % ports.length], id));
      }
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    return sent.stream().map(CompletableFuture::join).toList();
  }

  /** Every answer so far. */
  public List<Answer> answers() {
    return List.copyOf(answers);
  }

  /** How many answers so far were results (decisions). */
  public long results() {
    return answers.stream().filter(Answer::isResult).count();
  }

  /** A short account of the answers: results, and errors by code. */
  public String tally() {
    Map<String, Integer> byKind = new LinkedHashMap<>();
    Map<String, String> example = new LinkedHashMap<>();
    for (Answer a : answers) {
      String kind = a.isResult() ? "result" : a.errorCode() != null ? "error " + a.errorCode() : "no answer";
      byKind.merge(kind, 1, Integer::sum);
      if (!a.isResult()) {
        example.putIfAbsent(kind, a.errorCode() != null ? a.errorMessage() + " data=" + a.errorData() : a.failure());
      }
    }
    return byKind + (example.isEmpty() ? "" : ", e.g. " + example);
  }

  /**
   * Warms a freshly started service (a cold JVM may take over the 1 s SLA for its first calls) with calls that carry
   * no request_id, until a round of them is all decisions; they are no part of any ledger.
   */
  public static void warmUp(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    IdempotencyLedger warm = new IdempotencyLedger("warm");
    while (true) {
      if (anonymous(warm, port, 8) == 8) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the service on port " + port + " never answered a round of warm-up calls: " + warm.tally());
      }
      Thread.sleep(200);
    }
  }

  /**
   * Sends {@code n} calls with no request_id (no part of any ledger: with no request_id there is nothing to keep
   * idempotent) and returns how many were answered with a decision. While PostgreSQL is away these go to the spool.
   */
  public static int sendAnonymous(int port, int n) throws Exception {
    return anonymous(new IdempotencyLedger("anonymous"), port, n);
  }

  private static int anonymous(IdempotencyLedger scratch, int port, int n) throws Exception {
    List<CompletableFuture<Answer>> round = new ArrayList<>();
    for (String id : scratch.newIds(n)) {
      JsonObject params = scratch.params(id);
      params.remove("request_id");
      round.add(scratch.post(port, scratch.methods.get(id), id, params));
    }
    CompletableFuture.allOf(round.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    return (int) round.stream().filter(f -> f.join().isResult()).count();
  }

  // ---- draining ----

  /** The health body of the service on {@code port}. */
  public static JsonObject health(int port) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp/orchestrator/health"))
        .timeout(Duration.ofSeconds(5)).build();
    return new JsonObject(ServiceProcess.HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body());
  }

  /**
   * Waits (up to {@code seconds}) until each service on {@code ports} holds no pending write and an empty spool not in
   * use, and PostgreSQL runs no write to agent_decisions (a flush whose caller stopped waiting may still be running).
   */
  public static void awaitDrained(int seconds, int... ports) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    String last = "";
    while (true) {
      boolean drained = true;
      StringBuilder state = new StringBuilder();
      for (int port : ports) {
        try {
          JsonObject health = health(port);
          JsonObject spool = health.getJsonObject("spool");
          int pending = health.getInteger("pending_writes", -1);
          state.append(port).append(": pending_writes=").append(pending).append(" spool=").append(spool).append("; ");
          drained &= pending == 0 && spool != null && !spool.getBoolean("active") && spool.getLong("depth") == 0;
        } catch (Exception notAnswering) {
          state.append(port).append(": ").append(notAnswering).append("; ");
          drained = false;
        }
      }
      long writes = writesInFlight();
      state.append("inserts running in PostgreSQL: ").append(writes);
      drained &= writes == 0;
      last = state.toString();
      if (drained) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not drained after " + seconds + " s: " + last);
      }
      Thread.sleep(200);
    }
  }

  static long writesInFlight() throws Exception {
    try (Connection c = TableLock.connect(); PreparedStatement st = c.prepareStatement("SELECT count(*) FROM pg_stat_activity"
        + " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
        + " AND (query ILIKE '%INSERT INTO agent_decisions%' OR wait_event_type = 'Lock')");
         ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---- the check ----

  /**
   * Checks the three properties for every request_id of this ledger; fails with every violation found (and the
   * answers' tally), so the message says how the bug showed itself.
   */
  public void assertIdempotent() throws Exception {
    List<String> violations = violations();
    if (!violations.isEmpty()) {
      int shown = Math.min(violations.size(), 40);
      throw new AssertionError(violations.size() + " violation(s) of request_id idempotency over " + methods.size()
          + " request_ids (answers: " + tally() + "):\n  " + String.join("\n  ", violations.subList(0, shown))
          + (shown < violations.size() ? "\n  ... and " + (violations.size() - shown) + " more" : ""));
    }
    // The evidence of a pass: how many answers were decisions and how many retriable errors.
    System.out.println("idempotency ledger " + prefix + ": " + methods.size() + " request_ids, answers " + tally());
  }

  /** What {@link #assertIdempotent()} would report; empty when everything holds. */
  public List<String> violations() throws Exception {
    Map<String, Set<String>> answered = new LinkedHashMap<>();
    Map<String, Set<String>> phases = new HashMap<>();
    Set<String> acknowledged = new LinkedHashSet<>();
    List<String> violations = new ArrayList<>();
    for (String id : methods.keySet()) {
      answered.put(id, new LinkedHashSet<>());
    }
    for (Answer a : answers) {
      if (a.isResult()) {
        answered.get(a.requestId()).add(a.decisionId());
        acknowledged.add(a.decisionId());
        phases.computeIfAbsent(a.decisionId(), k -> new LinkedHashSet<>()).add(a.phase() + "@" + a.port());
      }
    }
    Map<String, String> holder = new HashMap<>();
    Map<String, List<String>> naming = new HashMap<>();
    Map<String, Integer> events = new HashMap<>();
    Set<String> stored = new java.util.HashSet<>();
    try (Connection c = TableLock.connect()) {
      String like = prefix.replace("_", "\\_") + "%";
      try (PreparedStatement st = c.prepareStatement(
          "SELECT request_id, decision_id::text FROM agent_decisions WHERE request_id LIKE ?")) {
        st.setString(1, like);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            holder.put(rs.getString(1), rs.getString(2));
          }
        }
      }
      try (PreparedStatement st = c.prepareStatement("SELECT features_used->>'request_id', decision_id::text,"
          + " coalesce(request_id, 'NULL') FROM agent_decisions WHERE features_used->>'request_id' LIKE ?"
          + " AND request_id IS DISTINCT FROM features_used->>'request_id'")) {
        st.setString(1, like);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            naming.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                .add(rs.getString(2) + " (request_id " + rs.getString(3) + ")");
          }
        }
      }
      // An event belongs to a request_id by its own column, or (a duplicate's event has none) by its decision's.
      try (PreparedStatement st = c.prepareStatement("SELECT rid, count(*) FROM (SELECT coalesce(e.request_id,"
          + " d.request_id, d.features_used->>'request_id') AS rid FROM viral_events e"
          + " LEFT JOIN agent_decisions d ON d.event_id = e.event_id) x WHERE rid LIKE ? GROUP BY rid")) {
        st.setString(1, like);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            events.put(rs.getString(1), rs.getInt(2));
          }
        }
      }
      if (!acknowledged.isEmpty()) {
        try (PreparedStatement st = c.prepareStatement(
            "SELECT decision_id::text FROM agent_decisions WHERE decision_id = ANY (?::uuid[])")) {
          st.setArray(1, c.createArrayOf("text", acknowledged.toArray()));
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              stored.add(rs.getString(1));
            }
          }
        }
      }
    }
    for (Map.Entry<String, Set<String>> e : answered.entrySet()) {
      String id = e.getKey();
      Set<String> ids = e.getValue();
      if (ids.size() > 1) {
        List<String> where = ids.stream().map(d -> d + " " + phases.get(d)).toList();
        violations.add(id + " (" + methods.get(id) + "): answered with " + ids.size() + " decision_ids " + where);
      }
      String row = holder.get(id);
      if (!ids.isEmpty() && row == null) {
        violations.add(id + ": answered " + ids + " but no agent_decisions row holds this request_id");
      } else if (row != null && !ids.isEmpty() && !ids.contains(row)) {
        violations.add(id + ": the row holding this request_id is decision " + row
            + ", which was never answered (answered " + ids + ")");
      }
      if (naming.containsKey(id)) {
        violations.add(id + ": duplicate agent_decisions row(s) naming it in features_used.request_id: " + naming.get(id));
      }
      if (events.getOrDefault(id, 0) > 1) {
        violations.add(id + ": " + events.get(id) + " viral_events rows");
      }
    }
    for (String decisionId : acknowledged) {
      if (!stored.contains(decisionId)) {
        String of = answers.stream().filter(a -> decisionId.equals(a.decisionId())).map(Answer::requestId).findFirst()
            .orElse("?");
        violations.add(of + ": answered decision " + decisionId + " has no agent_decisions row");
      }
    }
    return violations;
  }
}
