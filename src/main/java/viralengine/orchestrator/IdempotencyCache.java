package viralengine.orchestrator;

import io.vertx.core.json.JsonObject;
import viralengine.rpc.RpcException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recent answers by request_id, bounded in size (least recently used go first) and in age. It spares
 * PostgreSQL the look-up for quick retries; the unique index on request_id stays the source of truth.
 * Used from one event loop only, so it needs no locking.
 */
final class IdempotencyCache {
  /**
   * An answer: a result, or the error the caller got. Params and result are kept encoded and decoded only on a hit:
   * as JSON trees they were most of what a young collection copied and what filled the old generation (at thousands
   * of decisions a second an entry lives a second or two, long enough to be promoted, then dies there).
   */
  record Answer(String method, String encodedParams, String encodedResult, RpcException error, long storedAtNanos) {
    JsonObject params() {
      return new JsonObject(encodedParams);
    }

    JsonObject result() {
      return encodedResult == null ? null : new JsonObject(encodedResult);
    }
  }

  private final int capacity;
  private final long ttlNanos;
  private final LinkedHashMap<String, Answer> entries;

  IdempotencyCache(int capacity, long ttlMillis) {
    this.capacity = capacity;
    this.ttlNanos = ttlMillis * 1_000_000;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Answer> eldest) {
        return size() > IdempotencyCache.this.capacity;
      }
    };
  }

  Answer get(String requestId) {
    Answer entry = entries.get(requestId);
    if (entry != null && System.nanoTime() - entry.storedAtNanos() > ttlNanos) {
      entries.remove(requestId);
      return null;
    }
    return entry;
  }

  void putResult(String requestId, String method, JsonObject params, JsonObject result) {
    put(requestId, method, params, result, null);
  }

  void putError(String requestId, String method, JsonObject params, RpcException error) {
    put(requestId, method, params, null, error);
  }

  private void put(String requestId, String method, JsonObject params, JsonObject result, RpcException error) {
    if (capacity > 0) {
      entries.put(requestId, new Answer(method, params.encode(), result == null ? null : result.encode(), error,
          System.nanoTime()));
    }
  }

  /**
   * Drops every answer whose params name the learner (an erasure): the params and the answer hold their user_id and
   * context. A scan, but erasures are rare and the cache is bounded.
   */
  void forgetLearner(String userId) {
    entries.values().removeIf(answer -> answer.encodedParams().contains(userId) && names(answer.params(), userId));
  }

  private static boolean names(JsonObject params, String userId) {
    return userId.equals(params.getValue("user_id")) || userId.equals(params.getValue("referred_user_id"));
  }

  int size() {
    return entries.size();
  }
}
