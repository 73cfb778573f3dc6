package viralengine.decision;

import viralengine.learners.History;
import viralengine.loops.Loop;

import java.time.Instant;

/** A loop rests for {@code cooldown_seconds} after it was selected, and {@code dismiss_cooldown_seconds} after a dismissal. */
final class Cooldowns {
  private Cooldowns() {}

  /** The failing check, or null when neither cooldown runs at {@code now}. */
  static Check check(Loop loop, History history, Instant now) {
    Instant lastSelected = null;
    for (History.Selection selection : history.selections()) {
      if (selection.loopId() == loop.id() && !selection.at().isAfter(now)
          && (lastSelected == null || selection.at().isAfter(lastSelected))) {
        lastSelected = selection.at();
      }
    }
    if (lastSelected != null && lastSelected.plusSeconds(loop.cooldownSeconds()).isAfter(now)) {
      return new Check(loop.name(), Reason.COOLING_DOWN, "selected at " + lastSelected + "; cooldown of "
          + loop.cooldownSeconds() + " s runs until " + lastSelected.plusSeconds(loop.cooldownSeconds()));
    }
    Instant dismissed = history.lastDismissed().get(loop.id());
    if (dismissed != null && !dismissed.isAfter(now) && dismissed.plusSeconds(loop.dismissCooldownSeconds()).isAfter(now)) {
      return new Check(loop.name(), Reason.COOLING_DOWN, "dismissed at " + dismissed + "; dismiss cooldown of "
          + loop.dismissCooldownSeconds() + " s runs until " + dismissed.plusSeconds(loop.dismissCooldownSeconds()));
    }
    return null;
  }
}
