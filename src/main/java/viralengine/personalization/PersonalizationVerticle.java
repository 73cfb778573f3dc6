package viralengine.personalization;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import viralengine.loops.Catalog;
import viralengine.loops.CopyTemplates;
import viralengine.loops.FieldReader;
import viralengine.loops.Loop;
import viralengine.loops.LoopJson;
import viralengine.rpc.BusMethods;
import viralengine.rpc.Params;
import viralengine.rpc.RpcException;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Serves {@code personalization.personalize}: the learner's profile (persona, attributes) in one indexed read, then
 * {@link CopyRenderer}. Without copy for the persona or a default, the action's own texts. Changes nothing.
 */
public final class PersonalizationVerticle extends VerticleBase {
  private static final String LEARNER = "SELECT persona, attributes FROM learners WHERE user_id = $1";
  private static final Set<String> FIELDS = Set.of("user_id", "loop", "persona", "locale", "variant", "context", "action");
  private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}");
  static final int MAX_CONTEXT_BYTES = 8_192;
  static final int MAX_CONTEXT_DEPTH = 8;

  private final Pool pool;
  private final Supplier<Catalog> catalog;

  public PersonalizationVerticle(Pool pool, Supplier<Catalog> catalog) {
    this.pool = pool;
    this.catalog = catalog;
  }

  @Override
  public Future<?> start() {
    return new BusMethods(PersonalizationApi.AGENT).on(PersonalizationApi.PERSONALIZE, this::personalize).register(vertx);
  }

  private Future<JsonObject> personalize(JsonObject params) {
    FieldReader.of(params, "", FIELDS);
    String userId = Params.userId(params, "user_id");
    String loopName = Params.requiredString(params, "loop", 64, FieldReader.SLUG, "a loop name (slug)");
    String persona = Params.optionalOneOf(params, "persona", List.copyOf(LoopJson.PERSONAS.stream().sorted().toList()));
    Params.optionalString(params, "locale", 35, LOCALE, "a BCP 47 language tag such as en-GB");
    Params.optionalString(params, "variant", 64, FieldReader.SLUG, "a variant key (slug)");
    JsonObject context = Params.optionalObject(params, "context", MAX_CONTEXT_BYTES, MAX_CONTEXT_DEPTH);
    JsonObject action = action(params);
    Loop loop = catalog.get().loop(loopName).orElseThrow(() -> RpcException.invalidParams("loop", "is not a known loop"));
    return pool.preparedQuery(LEARNER).execute(Tuple.of(userId)).map(rows -> {
      Row row = rows.size() == 0 ? null : rows.iterator().next();
      String who = persona != null ? persona : row == null ? null : row.getString("persona");
      JsonObject attributes = row == null ? new JsonObject() : (JsonObject) row.getValue("attributes");
      JsonObject copy = CopyRenderer.render(action, who, attributes, context, loop.displayName());
      return copy != null ? copy : CopyRenderer.asStored(action);
    });
  }

  /** The action shown (the loop's or its variant's): an object within the loop's bound, whose copy is well formed. */
  private static JsonObject action(JsonObject params) {
    JsonObject action = Params.optionalObject(params, "action", LoopJson.MAX_ACTION_BYTES, MAX_CONTEXT_DEPTH);
    if (!params.containsKey("action")) {
      throw RpcException.invalidParams("action", "is required: the loop's action, with its copy");
    }
    if (action.getValue("copy") != null) {
      CopyTemplates.validate(action.getValue("copy"), "action.copy");
    }
    return action;
  }
}
