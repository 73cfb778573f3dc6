package viralengine.store;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdsTest {
  @Test
  void anIdIsAVersion7UuidCarryingItsMillisecond() {
    long millis = 1_765_100_000_123L;
    UUID id = Ids.next(millis, new Random(1));
    assertEquals(7, id.version());
    assertEquals(2, id.variant());
    assertEquals(millis, Ids.epochMillis(id));
    assertEquals(id, UUID.fromString(id.toString()), "a plain UUID on the wire and in PostgreSQL");
  }

  @Test
  void laterMillisecondsSortAfterEarlierOnes() {
    Random random = new Random(2);
    UUID earlier = Ids.next(1_765_100_000_000L, random);
    for (int i = 1; i <= 1000; i++) {
      UUID later = Ids.next(1_765_100_000_000L + i, random);
      assertTrue(later.toString().compareTo(earlier.toString()) > 0, "as text, as PostgreSQL's uuid order does");
      earlier = later;
    }
  }

  @Test
  void idsMadeInOneMillisecondDiffer() {
    Set<UUID> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      seen.add(Ids.next());
    }
    assertEquals(100_000, seen.size());
    assertEquals(7, Ids.next().version());
  }
}
