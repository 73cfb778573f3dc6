package viralengine.learners;

import org.junit.jupiter.api.Test;
import viralengine.learners.History;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class RecentLearnersTest {
  static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
  static final Instant DAY_AGO = NOW.minus(Duration.ofDays(1));
  static final Duration TTL = Duration.ofSeconds(60);

  static LearnerStore.State state(long seq) {
    return new LearnerStore.State(Learner.unknown("u"), History.NONE, seq, Map.of());
  }

  @Test
  void aKeptStateIsFoundUntilItsTtlRunsOut() {
    RecentLearners recent = new RecentLearners(10, TTL);
    recent.put("u", state(4), DAY_AGO, NOW, recent.generation());
    assertNotNull(recent.get("u", DAY_AGO, NOW.plusSeconds(59)));
    assertNull(recent.get("u", DAY_AGO, NOW.plusSeconds(60)), "read again once the ttl has run out");
    assertEquals(0, recent.size());
  }

  @Test
  void aStateReadForAShorterWindowDoesNotServeALongerOne() {
    RecentLearners recent = new RecentLearners(10, TTL);
    recent.put("u", state(1), DAY_AGO, NOW, recent.generation());
    assertNotNull(recent.get("u", DAY_AGO.plusSeconds(5), NOW), "a later window is covered");
    assertNull(recent.get("u", DAY_AGO.minusSeconds(1), NOW), "an earlier one is not: a rule with a longer period");
  }

  @Test
  void aReadThatBeganBeforeAForgetIsNotKept() {
    RecentLearners recent = new RecentLearners(10, TTL);
    long readAt = recent.generation();
    recent.forget("someone-else");
    recent.put("u", state(1), DAY_AGO, NOW, readAt);
    assertNull(recent.get("u", DAY_AGO, NOW), "the read may predate the change that was forgotten");
    recent.put("u", state(1), DAY_AGO, NOW, recent.generation());
    assertNotNull(recent.get("u", DAY_AGO, NOW));
  }

  @Test
  void aDurableSelectionAdvancesTheKeptState() {
    RecentLearners recent = new RecentLearners(10, TTL);
    recent.put("u", state(3), DAY_AGO, NOW, recent.generation());
    recent.selected("u", 3, 7L, NOW, "b");
    LearnerStore.State after = recent.get("u", DAY_AGO, NOW);
    assertEquals(4, after.selectionSeq());
    assertEquals(List.of(new History.Selection(7L, NOW)), after.history().selections());
    assertEquals(Map.of(7L, "b"), after.variants());
    recent.selected("u", 4, 7L, NOW.plusSeconds(1), "c");
    assertEquals("b", recent.get("u", DAY_AGO, NOW).variants().get(7L), "a stored variant is sticky");
  }

  @Test
  void aSelectionOnAnotherSequenceDropsTheEntry() {
    RecentLearners recent = new RecentLearners(10, TTL);
    recent.put("u", state(3), DAY_AGO, NOW, recent.generation());
    recent.selected("u", 5, 7L, NOW, null);
    assertNull(recent.get("u", DAY_AGO, NOW));
  }

  @Test
  void theLeastRecentlyUsedGoesFirst() {
    RecentLearners recent = new RecentLearners(2, TTL);
    recent.put("a", state(1), DAY_AGO, NOW, recent.generation());
    recent.put("b", state(1), DAY_AGO, NOW, recent.generation());
    recent.get("a", DAY_AGO, NOW);
    recent.put("c", state(1), DAY_AGO, NOW, recent.generation());
    assertNotNull(recent.get("a", DAY_AGO, NOW));
    assertNull(recent.get("b", DAY_AGO, NOW));
    assertEquals(2, recent.size());
  }

  @Test
  void sizeZeroKeepsNothing() {
    RecentLearners recent = new RecentLearners(0, TTL);
    recent.put("a", state(1), DAY_AGO, NOW, recent.generation());
    assertNull(recent.get("a", DAY_AGO, NOW));
  }

  @Test
  void forgettingEveryoneEmptiesIt() {
    RecentLearners recent = new RecentLearners(10, TTL);
    recent.put("a", state(1), DAY_AGO, NOW, recent.generation());
    recent.clear();
    assertEquals(0, recent.size());
  }
}
