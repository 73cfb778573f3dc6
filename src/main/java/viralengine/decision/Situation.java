package viralengine.decision;

import io.vertx.core.json.JsonObject;
import viralengine.learners.Learner;

import java.time.Instant;

/** Everything a decision depends on besides the loop catalog: who, which event, what they have seen, and when. */
public record Situation(Learner learner, String eventType, JsonObject context, History history, Instant now) {}
