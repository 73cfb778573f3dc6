package viralengine.metrics;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LoopActivityTest {
  final AtomicLong now = new AtomicLong(1_000 * 60_000L);
  final LoopActivity activity = new LoopActivity(now::get);

  @Test
  void countsEachLoopsKindsOverTheLastHourAndForgetsOlderMinutes() {
    activity.record("buddy", LoopActivity.SELECTED);
    activity.record("buddy", LoopActivity.SELECTED);
    activity.record("buddy", "dismissed");
    now.addAndGet(30 * 60_000L);
    activity.record("rally", LoopActivity.CAP_REACHED);
    assertEquals(new JsonObject()
        .put("buddy", new JsonObject().put("dismissed", 1L).put("selected", 2L))
        .put("rally", new JsonObject().put("cap_reached", 1L)), activity.lastHour());
    now.addAndGet(30 * 60_000L); // the first minute is now an hour old
    assertEquals(new JsonObject().put("rally", new JsonObject().put("cap_reached", 1L)), activity.lastHour());
    now.addAndGet(60 * 60_000L); // the slot of the first minute is reused: old counts never leak in
    activity.record("buddy", LoopActivity.SELECTED);
    assertEquals(new JsonObject().put("buddy", new JsonObject().put("selected", 1L)), activity.lastHour());
  }
}
