package viralengine.agents;

import io.vertx.core.json.JsonObject;

/**
 * The copy a decision shows when personalization is late, failing or invalid: the loop's own {@code action.copy} for
 * the learner's persona, rendered locally. Returns {@code {headline, body, cta, share_copy}} or null, and then the
 * action is shown as stored. {@link #NONE} is that last case; the personalization package's renderer is the real one.
 */
@FunctionalInterface
public interface FallbackCopy {
  FallbackCopy NONE = (action, persona, attributes, context, displayName) -> null;

  JsonObject render(JsonObject loopAction, String persona, JsonObject learnerAttributes, JsonObject context,
      String loopDisplayName);
}
