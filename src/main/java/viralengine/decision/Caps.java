package viralengine.decision;

import viralengine.frequency.FrequencyRule;
import viralengine.learners.History;
import viralengine.loops.Loop;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The frequency rules: every rule that applies to a loop must leave room for one more selection. */
final class Caps {
  private Caps() {}

  /** The first rule (in id order) whose cap is reached, as a failing check; null when all hold. */
  static Check check(Loop loop, List<FrequencyRule> rules, Map<Long, Loop> byId, Situation s) {
    for (FrequencyRule rule : rules) {
      if (!rule.appliesTo(loop.name(), loop.groups())) {
        continue;
      }
      List<Instant> inScope = new ArrayList<>();
      for (History.Selection selection : s.history().selections()) {
        Loop selected = byId.get(selection.loopId());
        if (selected != null && rule.appliesTo(selected.name(), selected.groups())) {
          inScope.add(selection.at());
        }
      }
      int count = rule.period().count(inScope, s.now(), s.learner().timezone());
      if (count >= rule.maxCount()) {
        Instant end = rule.period().end(s.now(), s.learner().timezone());
        return new Check(loop.name(), Reason.CAP_REACHED, rule.id() + ": " + count + " of " + rule.maxCount()
            + " per " + rule.period().toJson() + " (" + rule.scope().wireName()
            + (rule.scopeKey() == null ? "" : " " + rule.scopeKey()) + ")"
            + (end == null ? "" : "; resets at " + end));
      }
    }
    return null;
  }
}
