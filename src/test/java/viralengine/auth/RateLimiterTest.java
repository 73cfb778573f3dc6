package viralengine.auth;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token bucket with a driven clock: exact within a burst, refilling at the configured rate, capped at the burst. */
class RateLimiterTest {
  long now = 1_000_000_000L;
  final RateLimiter limiter = new RateLimiter(List.of(
      new ApiToken("limited", Set.of(Scope.DECIDE), "00", new RateLimit(4, 3)),
      new ApiToken("free", Set.of(Scope.DECIDE), "11", RateLimit.NONE)), () -> now);

  @Test
  void exactlyTheBurstPassesAtOnce() {
    for (int i = 0; i < 3; i++) {
      assertEquals(0, limiter.tryAcquire("limited"), "request " + i);
    }
    assertEquals(250_000_000L, limiter.tryAcquire("limited"), "the next token is a quarter second away");
  }

  @Test
  void itRefillsAtTheRate() {
    for (int i = 0; i < 3; i++) {
      limiter.tryAcquire("limited");
    }
    now += 249_000_000L;
    assertTrue(limiter.tryAcquire("limited") > 0, "not yet");
    now += 1_000_000L;
    assertEquals(0, limiter.tryAcquire("limited"), "one token after 250 ms");
    assertTrue(limiter.tryAcquire("limited") > 0, "and only one");
  }

  @Test
  void aLongPauseRefillsNoMoreThanTheBurst() {
    now += 60_000_000_000L;
    for (int i = 0; i < 3; i++) {
      assertEquals(0, limiter.tryAcquire("limited"));
    }
    assertTrue(limiter.tryAcquire("limited") > 0);
  }

  @Test
  void tokensWithoutALimitAndUnknownNamesAlwaysPass() {
    for (int i = 0; i < 1_000; i++) {
      assertEquals(0, limiter.tryAcquire("free"));
      assertEquals(0, limiter.tryAcquire("anonymous"));
    }
  }
}
