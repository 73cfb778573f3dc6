package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import viralengine.loops.ViralLoop;
import viralengine.store.ExposureRepository;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides which loops a learner may see now: the loop must be active, triggered by the event, out of
 * its per-user cooldown, and the learner must be under the per-user daily cap. Exposure history is read
 * from PostgreSQL only when some loop passes the first two checks.
 */
final class Eligibility {
  static final String PHASE_1_RATIONALE = "Phase 1: Event logged, no loops active yet";
  static final String NOT_CHECKED = "not_checked";

  private final ExposureRepository exposures;
  private final int dailyCap;

  Eligibility(ExposureRepository exposures, int dailyCap) {
    this.exposures = exposures;
    this.dailyCap = dailyCap;
  }

  /** The outcome for every loop, best eligible loop first. */
  record Evaluation(String eventType, List<JsonObject> checks, List<ViralLoop> eligible, Integer firedToday,
      int dailyCap, boolean anyActive) {

    ViralLoop selected() {
      return eligible.isEmpty() ? null : eligible.get(0);
    }

    JsonArray eligibleNames() {
      JsonArray names = new JsonArray();
      eligible.forEach(loop -> names.add(loop.name()));
      return names;
    }

    JsonObject features() {
      return new JsonObject()
          .put("event_type", eventType)
          .put("loops_evaluated", checks.size())
          .put("daily_cap", new JsonObject().put("limit", dailyCap).put("fired_today", firedToday)
              .put("status", firedToday == null ? NOT_CHECKED : firedToday < dailyCap ? "ok" : "reached"))
          .put("checks", new JsonArray(new ArrayList<>(checks)));
    }

    String rationale() {
      if (!anyActive) {
        return PHASE_1_RATIONALE;
      }
      ViralLoop loop = selected();
      String scope = eventType == null ? "" : " for " + eventType;
      if (loop == null) {
        return "No eligible loop" + scope + ": every loop failed a check (see features_used.checks)";
      }
      return "Selected " + loop.name() + scope + ": highest-priority eligible loop (priority " + loop.priority()
          + "), " + eligible.size() + " of " + checks.size() + " loops eligible";
    }
  }

  Future<Evaluation> evaluate(String userId, String eventType, List<ViralLoop> loops) {
    List<ViralLoop> candidates = loops.stream().filter(l -> l.active() && l.triggeredBy(eventType)).toList();
    boolean anyActive = loops.stream().anyMatch(ViralLoop::active);
    if (candidates.isEmpty()) {
      List<JsonObject> checks = loops.stream().map(l -> staticCheck(l, eventType)).toList();
      return Future.succeededFuture(new Evaluation(eventType, checks, List.of(), null, dailyCap, anyActive));
    }
    long lookback = candidates.stream().mapToLong(ViralLoop::cooldownSeconds).max().orElse(0);
    return exposures.history(userId, lookback).map(history -> {
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      boolean underCap = history.firedToday() < dailyCap;
      List<JsonObject> checks = new ArrayList<>(loops.size());
      List<ViralLoop> eligible = new ArrayList<>();
      for (ViralLoop loop : loops) {
        if (!candidates.contains(loop)) {
          checks.add(staticCheck(loop, eventType));
          continue;
        }
        OffsetDateTime last = history.lastFired().get(loop.id());
        OffsetDateTime until = last == null ? null : last.plusSeconds(loop.cooldownSeconds());
        boolean cooled = until == null || !until.isAfter(now);
        boolean ok = cooled && underCap;
        if (ok) {
          eligible.add(loop);
        }
        checks.add(check(loop, true, cooled ? "ok" : "cooling_down", underCap ? "ok" : "reached", ok,
            ok ? "eligible" : !cooled ? "cooling down until " + until : "daily cap of " + dailyCap + " reached"));
      }
      return new Evaluation(eventType, checks, List.copyOf(eligible), history.firedToday(), dailyCap, true);
    });
  }

  private static JsonObject staticCheck(ViralLoop loop, String eventType) {
    boolean triggered = loop.triggeredBy(eventType);
    String reason = !loop.active() ? "inactive" : "not triggered by " + eventType;
    return check(loop, triggered, NOT_CHECKED, NOT_CHECKED, false, reason);
  }

  private static JsonObject check(ViralLoop loop, boolean triggerMatch, String cooldown, String dailyCap,
      boolean eligible, String reason) {
    return new JsonObject()
        .put("loop", loop.name())
        .put("active", loop.active())
        .put("trigger_match", triggerMatch)
        .put("cooldown", cooldown)
        .put("daily_cap", dailyCap)
        .put("eligible", eligible)
        .put("reason", reason);
  }
}
