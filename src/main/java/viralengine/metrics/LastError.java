package viralengine.metrics;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** The most recent internal failure, for the health body. Shared by the verticles of one process. */
public final class LastError {
  private volatile JsonObject last;

  public void record(String message) {
    last = new JsonObject().put("message", message).put("at", Instant.now().toString());
  }

  /** {@code {message, at}}, or null when nothing has failed. */
  public JsonObject toJson() {
    return last;
  }
}
