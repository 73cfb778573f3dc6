package viralengine.decision;

import io.vertx.core.json.JsonObject;
import viralengine.learners.History;
import viralengine.learners.Learner;

import java.time.Instant;

/**
 * Everything a decision depends on besides the loop catalog: who, which event, what they have seen, when, and
 * the experiments they take part in (holdout).
 */
public record Situation(Learner learner, String eventType, JsonObject context, History history, Instant now,
    Experiment experiment) {

  /** A situation outside any experiment. */
  public Situation(Learner learner, String eventType, JsonObject context, History history, Instant now) {
    this(learner, eventType, context, history, now, Experiment.NONE);
  }
}
