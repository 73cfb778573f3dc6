package viralengine.decision;

import io.vertx.core.json.JsonObject;

/** One loop's verdict: the first check that failed (or {@link Reason#ELIGIBLE}) and a detail a person can read. */
public record Check(String loop, Reason reason, String detail) {
  public boolean eligible() {
    return reason == Reason.ELIGIBLE;
  }

  public JsonObject toJson() {
    return new JsonObject().put("loop", loop).put("reason", reason.code()).put("detail", detail);
  }
}
