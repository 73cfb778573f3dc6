package viralengine.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10,000 generated hostile bodies against the running server: malformed, oversized, deeply nested and
 * type-confused JSON-RPC. Every answer is a well-formed JSON-RPC error, or a 4xx with a JSON body: no
 * 5xx, no dropped connection, no result. Afterwards the server is healthy and no row was written.
 * Seeded, so a failure names a case that can be replayed.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class HttpFuzzTest {
  static final int CASES = 10_000;
  static final int CONCURRENCY = 8;
  static final long SEED = Long.getLong("fuzz.seed", 20261125L);
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("limits", new JsonObject().put("max_body_bytes", 65_536)
        .put("max_concurrent_requests", 1_000)));
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  /** One hostile body and the content type it is sent with. */
  record Case(int index, String kind, byte[] body, String contentType) {}

  static Case generate(int index) {
    Random r = new Random(SEED * 31 + index);
    List<Function<Random, Object[]>> kinds = List.of(
        HttpFuzzTest::randomBytes, HttpFuzzTest::truncated, HttpFuzzTest::deep, HttpFuzzTest::oversizedString,
        HttpFuzzTest::typeConfusedEnvelope, HttpFuzzTest::invalidParams, HttpFuzzTest::hostileBatch,
        HttpFuzzTest::duplicateKeys, HttpFuzzTest::wrongContentType, HttpFuzzTest::oversizedBody);
    Object[] made = kinds.get(r.nextInt(kinds.size())).apply(r);
    return new Case(index, (String) made[0], (byte[]) made[1], made.length > 2 ? (String) made[2] : "application/json");
  }

  @Test
  void hostileBodiesGetJsonErrorsNeverA5xxAndLeaveNoRows() {
    Map<Integer, String> problems = new ConcurrentHashMap<>();
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> workers = new ArrayList<>();
    for (int w = 0; w < CONCURRENCY; w++) {
      Promise<Void> done = Promise.promise();
      sendNext(next, problems, statuses, done);
      workers.add(done.future());
    }
    TestService.await(Future.all(workers).timeout(200, TimeUnit.SECONDS));

    assertEquals(Map.of(), problems.entrySet().stream().limit(10).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
        "cases answered wrongly (replay with -Dfuzz.seed=" + SEED + ")");
    assertTrue(statuses.keySet().stream().allMatch(s -> s < 500), "no 5xx: " + statuses);
    assertEquals(CASES, statuses.values().stream().mapToInt(AtomicInteger::get).sum(), "every case was answered");
    assertEquals("ok", svc.get("/mcp/orchestrator/health").bodyAsJsonObject().getString("status"), "healthy afterwards");
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"), "no stray decisions");
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events"), "no stray events");
  }

  private static void sendNext(AtomicInteger next, Map<Integer, String> problems, Map<Integer, AtomicInteger> statuses,
      Promise<Void> done) {
    int index = next.getAndIncrement();
    if (index >= CASES) {
      done.complete();
      return;
    }
    Case c = generate(index);
    svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator").putHeader("content-type", c.contentType())
        .sendBuffer(Buffer.buffer(c.body()))
        .onComplete(answer -> {
          if (answer.failed()) {
            problems.put(c.index(), c.kind() + ": no answer (" + answer.cause() + ")");
          } else {
            statuses.computeIfAbsent(answer.result().statusCode(), s -> new AtomicInteger()).incrementAndGet();
            String problem = check(answer.result());
            if (problem != null) {
              problems.put(c.index(), c.kind() + ": " + problem);
            }
          }
          sendNext(next, problems, statuses, done);
        });
  }

  /** Null when the answer is acceptable. */
  static String check(HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status >= 500) {
      return "status " + status;
    }
    Object body;
    try {
      body = response.body() == null ? null : io.vertx.core.json.Json.decodeValue(response.body());
    } catch (RuntimeException e) {
      return "status " + status + " with a body that is not JSON";
    }
    if (status >= 400) {
      return body instanceof JsonObject ? null : "status " + status + " without a JSON object body";
    }
    if (status != 200) {
      return "status " + status;
    }
    List<Object> answers = body instanceof JsonArray array ? array.getList() : List.of(body);
    for (Object answer : answers) {
      JsonObject a = answer instanceof JsonObject o ? o : answer instanceof Map<?, ?> m ? new JsonObject(castMap(m)) : null;
      if (a == null || !"2.0".equals(a.getString("jsonrpc")) || !a.containsKey("id") || a.containsKey("result")
          || !(a.getValue("error") instanceof JsonObject error) || !(error.getValue("code") instanceof Integer)
          || !(error.getValue("message") instanceof String)) {
        return "not a JSON-RPC error: " + String.valueOf(answer).substring(0, Math.min(200, String.valueOf(answer).length()));
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  // ---- generators: each returns {kind, body bytes[, content type]} ----

  static Object[] randomBytes(Random r) {
    byte[] bytes = new byte[1 + r.nextInt(200)];
    r.nextBytes(bytes);
    return new Object[] {"random bytes", bytes};
  }

  static Object[] truncated(Random r) {
    String valid = request(r.nextInt(1000), "trigger_event", validParams(r)).encode();
    return new Object[] {"truncated", utf8(valid.substring(0, r.nextInt(valid.length())))};
  }

  static Object[] deep(Random r) {
    int depth = 33 + r.nextInt(3_000);
    boolean arrays = r.nextBoolean();
    String open = arrays ? "[" : "{\"a\":";
    String close = arrays ? "]" : "}";
    return new Object[] {"deep nesting", utf8(open.repeat(depth) + "1" + close.repeat(depth))};
  }

  static Object[] oversizedString(Random r) {
    JsonObject params = validParams(r).put("user_id", "u".repeat(129 + r.nextInt(60_000)));
    return new Object[] {"oversized string", utf8(request(1, "trigger_event", params).encode())};
  }

  static Object[] typeConfusedEnvelope(Random r) {
    Object[] odd = {1, -1.5, true, false, new JsonArray().add(1), new JsonObject().put("x", 1), "", "1.0", "2.0 "};
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
        .put("params", new JsonObject().put("user_id", "u"));
    String field = List.of("jsonrpc", "method", "params", "id").get(r.nextInt(4));
    Object value = odd[r.nextInt(odd.length)];
    if (field.equals("id") && (value instanceof Number || value instanceof String)) {
      value = new JsonArray(); // numbers and strings are valid ids
    }
    if (field.equals("jsonrpc") && "2.0".equals(value)) {
      value = 2.0;
    }
    request.put(field, value);
    return new Object[] {"type-confused " + field, utf8(request.encode())};
  }

  static Object[] invalidParams(Random r) {
    JsonObject params = validParams(r);
    switch (r.nextInt(12)) {
      case 0 -> params.put("user_id", r.nextInt());
      case 1 -> params.put("user_id", "has space");
      case 2 -> params.put("user_id", "ctl\u0001char");
      case 3 -> params.put("event_type", "quiz_" + r.nextInt(100));
      case 4 -> params.put("occurred_at", "not-a-time");
      case 5 -> params.put("occurred_at", "2999-01-01T00:00:00Z");
      case 6 -> params.put("occurred_at", "1999-01-01T00:00:00Z");
      case 7 -> params.put("context", "not an object");
      case 8 -> params.put("context", nested(12));
      case 9 -> params.put("context", new JsonObject().put("blob", "x".repeat(20_000)));
      case 10 -> params.put("surprise_" + r.nextInt(1000), true);
      default -> params.put("request_id", "");
    }
    String method = r.nextBoolean() ? "trigger_event" : "select_loop";
    if (method.equals("select_loop")) {
      params.remove("occurred_at");
      if (params.size() == 2 && params.containsKey("user_id") && params.getValue("user_id") instanceof String s
          && Params.isValid(s)) {
        params.put("user_id", 7); // keep every case invalid: a valid select_loop would write a row
      }
    }
    return new Object[] {"invalid params", utf8(request(r.nextInt(), method, params).encode())};
  }

  static Object[] hostileBatch(Random r) {
    JsonArray batch = new JsonArray();
    int size = r.nextInt(4) == 0 ? 101 + r.nextInt(50) : r.nextInt(6);
    for (int i = 0; i < size; i++) {
      batch.add(r.nextBoolean() ? new JsonObject().put("jsonrpc", "2.0").put("id", i).put("method", "nope")
          : r.nextBoolean() ? "x" : new JsonObject().put("jsonrpc", "1.0").put("id", i).put("method", "health"));
    }
    return new Object[] {"hostile batch", utf8(batch.encode())};
  }

  static Object[] duplicateKeys(Random r) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"select_loop\",\"params\":{\"user_id\":\"a\",\"user_id\":\"b\"}}";
    return new Object[] {"duplicate keys", utf8(r.nextBoolean() ? body : body.replace("\"id\":1,", "\"id\":1,\"id\":2,"))};
  }

  static Object[] wrongContentType(Random r) {
    String type = List.of("text/plain", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data").get(r.nextInt(4));
    return new Object[] {"content type " + type, utf8(request(1, "select_loop", new JsonObject().put("user_id", "u")).encode()), type};
  }

  static Object[] oversizedBody(Random r) {
    return new Object[] {"oversized body", utf8("[" + "1,".repeat(40_000 + r.nextInt(10_000)) + "1]")};
  }

  static JsonObject validParams(Random r) {
    return new JsonObject().put("event_type", "practice_completed").put("user_id", "fuzz-" + r.nextInt(100));
  }

  static JsonObject request(Object id, String method, JsonObject params) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", method).put("params", params);
  }

  static JsonObject nested(int depth) {
    JsonObject root = new JsonObject();
    JsonObject node = root;
    for (int i = 0; i < depth; i++) {
      JsonObject child = new JsonObject();
      node.put("n", child);
      node = child;
    }
    return root;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether a user_id would pass validation, so the generator can keep every case invalid. */
  static final class Params {
    static boolean isValid(String userId) {
      return viralengine.rpc.Params.VISIBLE_ASCII.matcher(userId).matches() && userId.length() <= 128;
    }
  }
}
