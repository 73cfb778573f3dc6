package viralengine.learners;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.learners.History;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class PackedStateTest {
  static final Instant AT = Instant.parse("2026-12-07T10:00:00.123456Z");

  static LearnerStore.State state(JsonObject attributes) {
    Learner learner = new Learner("u", ZoneId.of("America/Los_Angeles"), 2014, "student", "granted", false, attributes);
    History history = new History(List.of(new History.Selection(3L, AT.minusSeconds(86_400)), new History.Selection(5L, AT)),
        Map.of(5L, AT.minusSeconds(60), 7L, Instant.parse("1969-12-31T23:59:59.999999Z")));
    return new LearnerStore.State(learner, history, 9, Map.of(3L, "b"));
  }

  @Test
  void whatIsPackedReadsBackTheSame() {
    LearnerStore.State state = state(new JsonObject().put("school", "s-1").put("cohort", 12)
        .put("tags", new JsonArray().add("a")).put("nested", new JsonObject().put("k", true)));
    assertEquals(state, PackedState.pack(state).unpack(), "microsecond times, times before 1970, every field");
  }

  @Test
  void attributesHoldingANullAreKeptAsTheyAre() {
    JsonObject attributes = new JsonObject().put("school", (String) null).put("cohort", 12);
    LearnerStore.State back = PackedState.pack(state(attributes)).unpack();
    assertSame(attributes, back.learner().attributes());
    assertEquals(state(attributes), back);
  }

  @Test
  void aSelectionIsAppendedWithTheGuardOneFurtherAndANewVariantOnly() {
    PackedState packed = PackedState.pack(state(new JsonObject()));
    Instant later = AT.plusSeconds(5);
    LearnerStore.State after = packed.selected(8L, later, "a").selected(3L, later.plusSeconds(1), "c").unpack();
    assertEquals(11, after.selectionSeq());
    assertEquals(List.of(new History.Selection(3L, AT.minusSeconds(86_400)), new History.Selection(5L, AT),
        new History.Selection(8L, later), new History.Selection(3L, later.plusSeconds(1))), after.history().selections());
    assertEquals(Map.of(3L, "b", 8L, "a"), after.variants(), "loop 3's variant is sticky");
    assertEquals(state(new JsonObject()).history().lastDismissed(), after.history().lastDismissed());
  }

  @Test
  void timesKeepMicrosecondsAndDropNanoseconds() {
    Instant t = Instant.parse("2026-03-08T09:59:59.999999999Z");
    assertEquals(Instant.parse("2026-03-08T09:59:59.999999Z"), PackedState.instant(PackedState.micros(t)));
    Instant before = Instant.parse("1969-07-20T20:17:40.000001Z");
    assertEquals(before, PackedState.instant(PackedState.micros(before)));
  }
}
