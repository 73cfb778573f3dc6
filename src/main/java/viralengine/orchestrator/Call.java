package viralengine.orchestrator;

import io.vertx.core.MultiMap;
import viralengine.api.OrchestratorApi;
import viralengine.store.Ids;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/** Per-call facts that are not params: the decision id, the caller's deadline, and when the call arrived. */
record Call(UUID decisionId, long deadlineMillis, long startNanos, OffsetDateTime receivedAt, boolean rehearsal) {

  /** Reads the optional headers of {@link OrchestratorApi}; a malformed header is ignored, not trusted. */
  static Call from(MultiMap headers) {
    return new Call(decisionId(headers.get(OrchestratorApi.HEADER_DECISION_ID)),
        deadline(headers.get(OrchestratorApi.HEADER_DEADLINE)),
        System.nanoTime(), OffsetDateTime.now(ZoneOffset.UTC), headers.contains(OrchestratorApi.HEADER_REHEARSAL));
  }

  private static UUID decisionId(String header) {
    if (header != null) {
      try {
        return UUID.fromString(header);
      } catch (IllegalArgumentException ignored) {
        // fall through: a fresh id is always safe
      }
    }
    return Ids.next();
  }

  private static long deadline(String header) {
    if (header != null) {
      try {
        return Long.parseLong(header);
      } catch (NumberFormatException ignored) {
        // fall through: no deadline
      }
    }
    return Long.MAX_VALUE;
  }

  boolean expired() {
    return System.currentTimeMillis() > deadlineMillis;
  }

  double elapsedMillis() {
    return (System.nanoTime() - startNanos) / 1_000_000.0;
  }
}
