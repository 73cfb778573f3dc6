package viralengine.cluster;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OwnerRingTest {
  static final int LEARNERS = 30_000;

  static Map<String, String> owners(OwnerRing ring) {
    Map<String, String> owners = new HashMap<>();
    for (int i = 0; i < LEARNERS; i++) {
      owners.put("learner-" + i, ring.owner("learner-" + i));
    }
    return owners;
  }

  @Test
  void anEmptyRingOwnsNobody() {
    assertNull(OwnerRing.of(List.of()).owner("learner-1"));
    assertEquals(0, OwnerRing.of(List.of()).share("a"));
  }

  @Test
  void theSameNodesInAnyOrderGiveTheSameOwners() {
    assertEquals(owners(OwnerRing.of(List.of("a", "b", "c"))), owners(OwnerRing.of(List.of("c", "a", "b"))));
  }

  @Test
  void oneNodeOwnsEveryone() {
    OwnerRing ring = OwnerRing.of(List.of("only"));
    assertTrue(owners(ring).values().stream().allMatch("only"::equals));
    assertEquals(1.0, ring.share("only"));
  }

  @Test
  void threeNodesShareTheLearnersAndTheSharesAddUp() {
    OwnerRing ring = OwnerRing.of(List.of("node-a", "node-b", "node-c"));
    Map<String, Long> counts = new HashMap<>();
    owners(ring).values().forEach(owner -> counts.merge(owner, 1L, Long::sum));
    double total = 0;
    for (String node : ring.nodes()) {
      double counted = counts.get(node) / (double) LEARNERS;
      assertTrue(counted > 0.25 && counted < 0.42, node + " owns " + counted);
      assertEquals(counted, ring.share(node), 0.02, "share matches what it owns: " + node);
      total += ring.share(node);
    }
    assertEquals(1.0, total, 1e-9);
    assertEquals(0, ring.share("not-a-member"));
  }

  @Test
  void aJoiningNodeTakesLearnersOnlyFromTheOthersAndAboutItsShare() {
    Map<String, String> before = owners(OwnerRing.of(List.of("a", "b")));
    Map<String, String> after = owners(OwnerRing.of(List.of("a", "b", "c")));
    int moved = 0;
    for (String learner : before.keySet()) {
      if (!before.get(learner).equals(after.get(learner))) {
        assertEquals("c", after.get(learner), "a learner only ever moves to the new node");
        moved++;
      }
    }
    assertTrue(moved > LEARNERS / 4 && moved < LEARNERS * 0.42, "about a third moved: " + moved);
  }

  @Test
  void aLeavingNodeHandsOnOnlyItsOwnLearners() {
    Map<String, String> before = owners(OwnerRing.of(List.of("a", "b", "c")));
    Map<String, String> after = owners(OwnerRing.of(List.of("a", "c")));
    for (String learner : before.keySet()) {
      if (!before.get(learner).equals("b")) {
        assertEquals(before.get(learner), after.get(learner), "kept its owner: " + learner);
      }
    }
  }

  @Test
  void theHashIsFixedByTheCodeNotTheJvm() {
    // Every node, whatever its JVM or version, must compute the same ring: values pinned when it was written,
    // so a change to the hash (which would move every learner during a rolling deploy) fails here first.
    assertEquals(-780787492076525413L, OwnerRing.hash(""));
    assertEquals(4906920643149286511L, OwnerRing.hash("learner-42"));
  }
}
