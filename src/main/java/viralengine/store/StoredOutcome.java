package viralengine.store;

import io.vertx.core.json.JsonObject;

/**
 * What a caller was told for a request_id, as the decision log holds it.
 *
 * @param sameRequest whether the stored method and params equal the ones being compared
 * @param errorCode null when the caller got {@code output} as a result
 */
public record StoredOutcome(boolean sameRequest, JsonObject output, Integer errorCode) {}
