package viralengine.admission;

import io.vertx.ext.web.RoutingContext;

/**
 * Holds a shed answer back for {@code limits.shed_delay_ms} before writing it.
 *
 * <p>A client in a closed loop (a retry loop, a load tool, a misbehaving service) sends its next request as
 * soon as it reads a shed. Answered at once, a flood of 1,000 connections turns into tens of thousands of
 * sheds a second, and parsing and answering them takes the CPU that real decisions need: goodput collapses
 * although admission works. A pause costs a timer and no CPU, and it caps the shed rate at connections
 * divided by the pause. It stays under the SLA, so a caller that waits for its answer still has it in time; a
 * caller shed hundreds of times a second is a flood, and gets a pause ten times as long
 * ({@link Admission#shedDelayMs(String)}).
 */
public final class ShedPause {
  private ShedPause() {}

  public static void answer(RoutingContext ctx, long delayMs, Runnable answer) {
    if (delayMs <= 0) {
      answer.run();
      return;
    }
    ctx.vertx().setTimer(delayMs, id -> {
      if (!ctx.response().closed() && !ctx.response().ended()) {
        answer.run();
      }
    });
  }
}
