package viralengine.orchestrator;

import viralengine.api.Requests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.agents.AgentLink;
import viralengine.agents.AgentReply;
import viralengine.agents.Agents;
import viralengine.agents.Answers;
import viralengine.agents.FallbackCopy;
import viralengine.config.AgentSettings;
import viralengine.decision.Decider;
import viralengine.decision.Evaluation;
import viralengine.decision.Situation;
import viralengine.learners.Learner;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The decision with agents (AGENTS.md): trust_safety vets the strategy's choice, a block falls through to the next
 * candidate, then personalization and incentives run side by side on the loop that passed. It runs inside the
 * learner's turn and before the durable write, and never fails: each agent that does not answer well in its budget is
 * replaced by its fallback, and every call is kept for {@code features_used.agents}.
 */
final class AgentStep {
  /**
   * Kept back from the decision's time for what follows the agents: the durable write (a group commit) and the answer.
   * Measured on a busy machine (a load of 9 on 2 cores): with 25 ms kept back, a decision against hanging agents was
   * ready at 128 ms and answered after 150; with 40, one ready at 96 ms was still answered after 150.
   */
  static final long RESERVE_MS = 60;
  private static final int CONSENT_AGE = 13;

  private final Agents agents;
  private final FallbackCopy fallbackCopy;
  private final long timeoutMs;

  AgentStep(Agents agents, FallbackCopy fallbackCopy, long orchestratorTimeoutMs) {
    this.agents = agents;
    this.fallbackCopy = fallbackCopy;
    this.timeoutMs = orchestratorTimeoutMs;
  }

  /**
   * What the agents made of an evaluation: the evaluation (another loop, or none, after blocks), the action to answer
   * (personalized, with the reward offered), the calls made, and whether trust_safety flagged the loop shown.
   */
  record Vetted(Evaluation evaluation, JsonObject action, JsonArray calls, boolean flagged) {}

  /** No agent is called for a holdout, an opted-out learner or when nothing is eligible. */
  Future<Vetted> run(Catalog catalog, Situation situation, Evaluation eval, Requests.Request request, Call call) {
    if (eval.outcome() != Evaluation.Outcome.SELECTED) {
      return Future.succeededFuture(new Vetted(eval, eval.action(), new JsonArray(), false));
    }
    JsonArray calls = new JsonArray();
    return vet(catalog, situation, eval, new LinkedHashMap<>(), calls, request, call).compose(vetted -> {
      Evaluation shown = vetted.evaluation();
      if (shown.shown() == null) {
        return Future.succeededFuture(vetted);
      }
      return dress(shown, situation, request, call, calls).map(action -> new Vetted(shown, action, calls,
          vetted.flagged()));
    });
  }

  private Future<Vetted> vet(Catalog catalog, Situation situation, Evaluation eval, Map<String, String> blocked,
      JsonArray calls, Requests.Request request, Call call) {
    Loop loop = eval.chosen();
    Learner learner = situation.learner();
    JsonObject params = new JsonObject().put("user_id", learner.userId()).put("action", "loop_selected")
        .put("loop", loop.name()).put("learner", learnerFacts(situation));
    if (request.context() != null) {
      params.put("context", request.context());
    }
    AgentLink trustSafety = agents.trustSafety();
    return trustSafety.call("check_action", params, budget(trustSafety, call), Answers::checkAction,
        call.rehearsal()).compose(reply -> {
      if (reply.outcome() == AgentReply.Outcome.ABSENT) {
        return Future.succeededFuture(new Vetted(eval, null, calls, false));
      }
      String verdict = reply.ok() ? reply.result().getString("verdict") : onFailure(situation);
      calls.add(reply.audit().put("verdict", verdict));
      if (!"block".equals(verdict)) {
        return Future.succeededFuture(new Vetted(eval, null, calls, "flag".equals(verdict)));
      }
      blocked.put(loop.name(), blockDetail(reply));
      Evaluation next = Decider.decide(catalog, situation, blocked);
      if (blocked.size() >= agents.settings().maxCandidates() && next.shown() != null) {
        return Future.succeededFuture(new Vetted(next.nothingShown(exhausted(blocked)), null, calls, false));
      }
      if (next.shown() == null) {
        return Future.succeededFuture(new Vetted(next.withRationale(exhausted(blocked)), null, calls, false));
      }
      return vet(catalog, situation, next.withRationale(next.rationale() + "; trust_safety blocked "
          + String.join(", ", blocked.keySet())), blocked, calls, request, call);
    });
  }

  /** The loop's action with the personalized copy and the reward offered, both asked for at once. */
  private Future<JsonObject> dress(Evaluation eval, Situation situation, Requests.Request request, Call call,
      JsonArray calls) {
    Loop loop = eval.shown();
    Learner learner = situation.learner();
    JsonObject stored = eval.action();
    JsonObject personalize = new JsonObject().put("user_id", learner.userId()).put("loop", loop.name())
        .put("persona", learner.persona()).put("locale", locale(learner, request.context()))
        .put("action", stored == null ? new JsonObject() : stored);
    if (eval.variant() != null) {
      personalize.put("variant", eval.variant().key());
    }
    if (request.context() != null) {
      personalize.put("context", request.context());
    }
    AgentLink personalization = agents.personalization();
    AgentLink incentives = agents.incentives();
    Future<AgentReply> copy = personalization.call("personalize", withoutNulls(personalize),
        budget(personalization, call), Answers::personalize, call.rehearsal());
    Future<AgentReply> reward = incentives.call("offer_reward", new JsonObject().put("user_id", learner.userId())
        .put("loop", loop.name()).put("role", "referrer"), budget(incentives, call), Answers::offerReward,
        call.rehearsal());
    return Future.all(copy, reward).map(both -> {
      JsonObject action = stored == null ? new JsonObject() : stored.copy();
      // The per-persona templates are the loop's configuration, not what the product renders: the answer carries the
      // rendered fields only.
      action.remove("copy");
      AgentReply copied = copy.result();
      record(calls, copied);
      if (copied.ok()) {
        action.mergeIn(copied.result());
      } else {
        JsonObject local = fallbackCopy.render(stored, learner.persona(), learner.attributes(), request.context(),
            loop.displayName());
        if (local != null) {
          action.mergeIn(local);
        }
      }
      AgentReply offered = reward.result();
      record(calls, offered);
      if (offered.ok() && offered.result().getValue("reward") != null) {
        action.put("reward", offered.result().getJsonObject("reward"));
      }
      return action;
    });
  }

  private static void record(JsonArray calls, AgentReply reply) {
    if (reply.outcome() != AgentReply.Outcome.ABSENT) {
      calls.add(reply.audit());
    }
  }

  /** The agent's own budget, capped by what is left of the decision's once the write's share is kept back. */
  private long budget(AgentLink agent, Call call) {
    long left = (long) (timeoutMs - call.elapsedMillis());
    if (call.deadlineMillis() != Long.MAX_VALUE) {
      left = Math.min(left, call.deadlineMillis() - System.currentTimeMillis());
    }
    return Math.min(agent.timeoutMs(), left - RESERVE_MS);
  }

  /** {@code agents.trust_safety.on_failure}: block_minors blocks a learner under 13 or of unknown age. */
  private String onFailure(Situation situation) {
    String policy = agents.settings().onFailure();
    if (!AgentSettings.BLOCK_MINORS.equals(policy)) {
      return policy;
    }
    Integer age = situation.learner().youngestAge(situation.now());
    return age == null || age < CONSENT_AGE ? "block" : "allow";
  }

  private String blockDetail(AgentReply reply) {
    if (!reply.ok()) {
      return "trust_safety did not answer (" + reply.outcome().code() + "): agents.trust_safety.on_failure "
          + agents.settings().onFailure() + " blocks this learner";
    }
    JsonArray reasons = reply.result().getJsonArray("reasons");
    return "trust_safety: " + (reasons.isEmpty() ? "blocked" : String.join(", ", reasons.getList()));
  }

  private String exhausted(Map<String, String> blocked) {
    int max = agents.settings().maxCandidates();
    return "No loop: trust_safety blocked " + String.join(", ", blocked.keySet())
        + (blocked.size() >= max ? " (at most " + max + " candidates are vetted, agents.trust_safety.max_candidates)"
        : " and no other loop is eligible");
  }

  private static JsonObject learnerFacts(Situation situation) {
    Learner learner = situation.learner();
    JsonObject facts = new JsonObject();
    Integer age = learner.youngestAge(situation.now());
    if (age != null) {
      facts.put("age", age);
    }
    if (learner.persona() != null) {
      facts.put("persona", learner.persona());
    }
    return facts.put("parental_consent", learner.parentalConsent());
  }

  /** The caller's {@code context.locale}, else the learner's {@code attributes.locale}; null when neither is a string. */
  private static String locale(Learner learner, JsonObject context) {
    Object fromContext = context == null ? null : context.getValue("locale");
    Object fromLearner = learner.attributes() == null ? null : learner.attributes().getValue("locale");
    return fromContext instanceof String s ? s : fromLearner instanceof String s ? s : null;
  }

  private static JsonObject withoutNulls(JsonObject params) {
    params.fieldNames().removeIf(name -> params.getValue(name) == null);
    return params;
  }
}
