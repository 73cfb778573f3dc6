package viralengine.decision;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.frequency.FrequencyRule;
import viralengine.frequency.Period;
import viralengine.learners.History;
import viralengine.learners.Learner;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;
import viralengine.targeting.Condition;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure decision procedure, driven directly with a fixed clock: one test per reason code, then zones and ranking. */
class DeciderTest {
  static final ZoneId LA = ZoneId.of("America/Los_Angeles");
  static final Instant NOW = Instant.parse("2026-11-29T20:00:00Z");
  static final FrequencyRule DAILY_3 = new FrequencyRule("global-daily", FrequencyRule.Scope.GLOBAL, null, 3,
      Period.CalendarDay.INSTANCE);

  static Loop loop(long id, String name, int priority) {
    return new Loop(id, name, name, "", true, List.of("practice_completed"), priority, 0.2, List.of("social"),
        Loop.Audience.ANYONE, new JsonObject(), Condition.parse(new JsonObject()), 0, 0,
        new JsonObject().put("type", "show_share_modal"), 1);
  }

  static Loop with(Loop l, Loop.Audience audience) {
    return new Loop(l.id(), l.name(), l.displayName(), l.description(), l.active(), l.triggers(), l.priority(),
        l.expectedK(), l.groups(), audience, l.targetingDocument(), l.targeting(), l.cooldownSeconds(),
        l.dismissCooldownSeconds(), l.action(), l.version());
  }

  static Loop targeted(Loop l, JsonObject condition) {
    return new Loop(l.id(), l.name(), l.displayName(), l.description(), l.active(), l.triggers(), l.priority(),
        l.expectedK(), l.groups(), l.audience(), condition, Condition.parse(condition), l.cooldownSeconds(),
        l.dismissCooldownSeconds(), l.action(), l.version());
  }

  static Loop cooling(Loop l, long cooldown, long dismissCooldown) {
    return new Loop(l.id(), l.name(), l.displayName(), l.description(), l.active(), l.triggers(), l.priority(),
        l.expectedK(), l.groups(), l.audience(), l.targetingDocument(), l.targeting(), cooldown, dismissCooldown,
        l.action(), l.version());
  }

  static Learner student(int birthYear) {
    return new Learner("u1", LA, birthYear, "student", "unknown", false, new JsonObject().put("plan", "free"));
  }

  static Evaluation decide(List<Loop> loops, List<FrequencyRule> rules, Learner learner, History history, Instant now) {
    return Decider.decide(new Catalog(loops, rules, 7), new Situation(learner, "practice_completed",
        new JsonObject().put("score", 72), history, now));
  }

  static Evaluation decide(Loop loop, Learner learner) {
    return decide(List.of(loop), List.of(DAILY_3), learner, History.NONE, NOW);
  }

  static Check only(Evaluation eval) {
    assertEquals(1, eval.checks().size());
    return eval.checks().get(0);
  }

  @Test
  void anEligibleLoopIsSelectedWithItsActionAndTheConfigVersion() {
    Evaluation eval = decide(loop(1, "buddy", 10), student(2000));
    assertEquals(Evaluation.Outcome.SELECTED, eval.outcome());
    assertEquals("buddy", eval.chosen().name());
    assertEquals(Reason.ELIGIBLE, only(eval).reason());
    assertEquals(7, eval.configVersion());
    assertTrue(eval.rationale().startsWith("Selected buddy for practice_completed"), eval.rationale());
  }

  @Test
  void optedOutAppliesToEveryLoopAndIsTheOutcome() {
    Learner out = new Learner("u1", LA, 2000, "student", "granted", true, new JsonObject());
    Loop inactive = new Loop(2, "off", "off", "", false, List.of(), 1, 0, List.of(), Loop.Audience.ANYONE,
        new JsonObject(), Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    Evaluation eval = decide(List.of(loop(1, "buddy", 10), inactive), List.of(), out, History.NONE, NOW);
    assertEquals(Evaluation.Outcome.OPTED_OUT, eval.outcome());
    assertNull(eval.chosen());
    eval.checks().forEach(check -> assertEquals(Reason.OPTED_OUT, check.reason()));
  }

  @Test
  void anInactiveLoopIsNotEligible() {
    Loop off = new Loop(1, "off", "off", "", false, List.of(), 1, 0, List.of(), Loop.Audience.ANYONE,
        new JsonObject(), Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    Evaluation eval = decide(List.of(off, loop(2, "on", 1)), List.of(), student(2000), History.NONE, NOW);
    assertEquals(Reason.INACTIVE, eval.checks().get(0).reason());
    assertEquals("on", eval.chosen().name());
  }

  @Test
  void aLoopNotTriggeredByTheEventIsNotEligible() {
    Loop other = new Loop(1, "rally", "rally", "", true, List.of("diagnostic_completed"), 1, 0, List.of(),
        Loop.Audience.ANYONE, new JsonObject(), Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    Check check = only(decide(other, student(2000)));
    assertEquals(Reason.NOT_TRIGGERED, check.reason());
    assertTrue(check.detail().contains("diagnostic_completed"), check.detail());
  }

  @Test
  void consentIsMissingForAnUnderThirteenWithoutGrantedConsent() {
    Loop needsConsent = with(loop(1, "buddy", 1), new Loop.Audience(null, null, List.of(), true));
    assertEquals(Reason.CONSENT_MISSING, only(decide(needsConsent, student(2015))).reason(), "11 or 12 years old");
    Learner granted = new Learner("u1", LA, 2015, "student", "granted", false, new JsonObject());
    assertEquals(Reason.ELIGIBLE, only(decide(needsConsent, granted)).reason());
    Learner noBirthYear = new Learner("u1", LA, null, "student", "denied", false, new JsonObject());
    assertEquals(Reason.CONSENT_MISSING, only(decide(needsConsent, noBirthYear)).reason(), "unknown age counts as a child");
    assertEquals(Reason.ELIGIBLE, only(decide(needsConsent, student(2000))).reason(), "an adult needs no consent");
    // Born 2013: 13 only once the 2026 birthday has passed, which a birth year cannot tell.
    assertEquals(Reason.CONSENT_MISSING, only(decide(needsConsent, student(2013))).reason());
    assertEquals(Reason.ELIGIBLE, only(decide(needsConsent, student(2012))).reason());
  }

  @Test
  void ageBoundsCountTheYoungestForTheMinimumAndTheOldestForTheMaximum() {
    Loop teens = with(loop(1, "teens", 1), new Loop.Audience(13, 17, List.of(), false));
    assertEquals(Reason.UNDER_MIN_AGE, only(decide(teens, student(2013))).reason());
    assertEquals(Reason.ELIGIBLE, only(decide(teens, student(2012))).reason());
    assertEquals(Reason.ELIGIBLE, only(decide(teens, student(2009))).reason(), "16 or 17");
    assertEquals(Reason.OVER_MAX_AGE, only(decide(teens, student(2008))).reason(), "may be 18");
    Learner unknown = new Learner("u1", LA, null, "student", "unknown", false, new JsonObject());
    assertEquals(Reason.UNDER_MIN_AGE, only(decide(teens, unknown)).reason());
    Loop adultsOnly = with(loop(1, "adults", 1), new Loop.Audience(null, 99, List.of(), false));
    assertEquals(Reason.OVER_MAX_AGE, only(decide(adultsOnly, unknown)).reason(), "an unknown age fails a bound");
  }

  @Test
  void aPersonaOutsideTheAudienceIsAMismatch() {
    Loop parents = with(loop(1, "proud_parent", 1), new Loop.Audience(null, null, List.of("parent"), false));
    Check check = only(decide(parents, student(2000)));
    assertEquals(Reason.PERSONA_MISMATCH, check.reason());
    assertTrue(check.detail().contains("student"), check.detail());
    Learner parent = new Learner("u1", LA, 1980, "parent", "unknown", false, new JsonObject());
    assertEquals(Reason.ELIGIBLE, only(decide(parents, parent)).reason());
  }

  @Test
  void failedTargetingNamesTheFailingPath() {
    Loop high = targeted(loop(1, "high", 1), new JsonObject().put("context.score", new JsonObject().put("$gte", 80)));
    Check check = only(decide(high, student(2000)));
    assertEquals(Reason.TARGETING_FAILED, check.reason());
    assertEquals("context.score", check.detail());
    Loop free = targeted(loop(1, "free", 1), new JsonObject().put("learner.attributes.plan", "free")
        .put("learner.age", new JsonObject().put("$gte", 25)));
    assertEquals(Reason.ELIGIBLE, only(decide(free, student(2000))).reason(), "age 25 or 26, plan free");
  }

  @Test
  void aLoopCoolsDownAfterItWasSelected() {
    Loop buddy = cooling(loop(1, "buddy", 1), 3600, 0);
    History recent = new History(List.of(new History.Selection(1, NOW.minusSeconds(3599))), Map.of());
    Check check = decide(List.of(buddy), List.of(), student(2000), recent, NOW).checks().get(0);
    assertEquals(Reason.COOLING_DOWN, check.reason());
    assertTrue(check.detail().contains(NOW.plusSeconds(1).toString()), check.detail());
    History older = new History(List.of(new History.Selection(1, NOW.minusSeconds(3600))), Map.of());
    assertEquals(Reason.ELIGIBLE, decide(List.of(buddy), List.of(), student(2000), older, NOW).checks().get(0).reason());
  }

  @Test
  void aDismissalStartsTheDismissCooldown() {
    Loop buddy = cooling(loop(1, "buddy", 1), 0, 86_400);
    History dismissed = new History(List.of(), Map.of(1L, NOW.minusSeconds(600)));
    Check check = decide(List.of(buddy), List.of(), student(2000), dismissed, NOW).checks().get(0);
    assertEquals(Reason.COOLING_DOWN, check.reason());
    assertTrue(check.detail().startsWith("dismissed at"), check.detail());
    History longAgo = new History(List.of(), Map.of(1L, NOW.minusSeconds(86_400)));
    assertEquals(Reason.ELIGIBLE, decide(List.of(buddy), List.of(), student(2000), longAgo, NOW).checks().get(0).reason());
  }

  @Test
  void aReachedCapNamesTheRule() {
    History three = new History(List.of(sel(9, NOW.minusSeconds(30)), sel(9, NOW.minusSeconds(20)), sel(9, NOW.minusSeconds(10))),
        Map.of());
    Check check = decide(List.of(loop(1, "buddy", 1), loop(9, "other", 0)), List.of(DAILY_3), student(2000), three, NOW)
        .checks().get(0);
    assertEquals(Reason.CAP_REACHED, check.reason());
    assertTrue(check.detail().startsWith("global-daily: 3 of 3"), check.detail());
  }

  @Test
  void rulesOfEveryScopeAreAndedAndCountOnlyTheirScope() {
    Loop buddy = loop(1, "buddy", 2);
    Loop parentNote = new Loop(2, "parent_note", "", "", true, List.of(), 1, 0, List.of("parent"),
        Loop.Audience.ANYONE, new JsonObject(), Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    FrequencyRule social = new FrequencyRule("social-weekly", FrequencyRule.Scope.GROUP, "social", 1, Period.CalendarWeek.INSTANCE);
    FrequencyRule parentLifetime = new FrequencyRule("parent-once", FrequencyRule.Scope.LOOP, "parent_note", 1, Period.Lifetime.INSTANCE);
    History history = new History(List.of(sel(1, NOW.minusSeconds(86_400))), Map.of());
    Evaluation eval = decide(List.of(buddy, parentNote), List.of(DAILY_3, parentLifetime, social), student(2000), history, NOW);
    assertEquals(Reason.CAP_REACHED, eval.checks().get(0).reason());
    assertTrue(eval.checks().get(0).detail().startsWith("social-weekly"), eval.checks().get(0).detail());
    assertEquals("parent_note", eval.chosen().name(), "the social group's selection does not count for the parent loop");
    History both = new History(List.of(sel(1, NOW.minusSeconds(86_400)), sel(2, Instant.parse("2020-01-01T00:00:00Z"))),
        Map.of());
    Evaluation later = decide(List.of(buddy, parentNote), List.of(DAILY_3, parentLifetime, social), student(2000), both, NOW);
    assertEquals(Reason.CAP_REACHED, later.checks().get(1).reason());
    assertEquals(Evaluation.Outcome.NO_ELIGIBLE_LOOP, later.outcome());
  }

  @Test
  void aCalendarDayEndsAtTheLearnersMidnightNotUtcMidnight() {
    FrequencyRule once = new FrequencyRule("daily-1", FrequencyRule.Scope.LOOP, "buddy", 1, Period.CalendarDay.INSTANCE);
    // 23:30 on Nov 28 in Los Angeles is 07:30 UTC on Nov 29.
    History lateEvening = new History(List.of(sel(1, Instant.parse("2026-11-29T07:30:00Z"))), Map.of());
    Instant beforeLocalMidnight = Instant.parse("2026-11-29T07:59:00Z");
    Instant afterLocalMidnight = Instant.parse("2026-11-29T08:01:00Z");
    assertEquals(Reason.CAP_REACHED, decide(List.of(loop(1, "buddy", 1)), List.of(once), student(2000), lateEvening,
        beforeLocalMidnight).checks().get(0).reason());
    assertEquals(Reason.ELIGIBLE, decide(List.of(loop(1, "buddy", 1)), List.of(once), student(2000), lateEvening,
        afterLocalMidnight).checks().get(0).reason(), "a new local day, though the same UTC day");
  }

  @Test
  void aCalendarWeekRollsOverOnMondayInTheLearnersZone() {
    FrequencyRule weekly = new FrequencyRule("weekly-1", FrequencyRule.Scope.GLOBAL, null, 1, Period.CalendarWeek.INSTANCE);
    History tuesday = new History(List.of(sel(1, Instant.parse("2026-11-24T18:00:00Z"))), Map.of());
    Instant sundayNightLocal = Instant.parse("2026-11-30T07:59:00Z");
    Instant mondayLocal = Instant.parse("2026-11-30T08:00:00Z");
    assertEquals(Reason.CAP_REACHED, decide(List.of(loop(1, "buddy", 1)), List.of(weekly), student(2000), tuesday,
        sundayNightLocal).checks().get(0).reason());
    assertEquals(Reason.ELIGIBLE, decide(List.of(loop(1, "buddy", 1)), List.of(weekly), student(2000), tuesday,
        mondayLocal).checks().get(0).reason());
  }

  @Test
  void theShortDayOfTheSpringDstChangeCountsAsOneDay() {
    FrequencyRule once = new FrequencyRule("daily-1", FrequencyRule.Scope.GLOBAL, null, 1, Period.CalendarDay.INSTANCE);
    History earlyMorning = new History(List.of(sel(1, Instant.parse("2026-03-08T08:30:00Z"))), Map.of()); // 00:30 PST
    assertEquals(Reason.CAP_REACHED, decide(List.of(loop(1, "buddy", 1)), List.of(once), student(2000), earlyMorning,
        Instant.parse("2026-03-09T06:30:00Z")).checks().get(0).reason(), "23:30 PDT, the same 23-hour day");
    assertEquals(Reason.ELIGIBLE, decide(List.of(loop(1, "buddy", 1)), List.of(once), student(2000), earlyMorning,
        Instant.parse("2026-03-09T07:30:00Z")).checks().get(0).reason(), "00:30 PDT the next day");
  }

  @Test
  void theLongDayOfTheAutumnDstChangeCountsAsOneDay() {
    FrequencyRule once = new FrequencyRule("daily-1", FrequencyRule.Scope.GLOBAL, null, 1, Period.CalendarDay.INSTANCE);
    History earlyMorning = new History(List.of(sel(1, Instant.parse("2026-11-01T07:30:00Z"))), Map.of()); // 00:30 PDT
    assertEquals(Reason.CAP_REACHED, decide(List.of(loop(1, "buddy", 1)), List.of(once), student(2000), earlyMorning,
        Instant.parse("2026-11-02T07:30:00Z")).checks().get(0).reason(), "23:30 PST, 25 hours later, the same day");
    assertEquals(Reason.ELIGIBLE, decide(List.of(loop(1, "buddy", 1)), List.of(once), student(2000), earlyMorning,
        Instant.parse("2026-11-02T08:30:00Z")).checks().get(0).reason());
  }

  @Test
  void priorityThenExpectedKThenNameRanksTheEligibleLoops() {
    Loop a = loop(1, "b_loop", 5);
    Loop b = new Loop(2, "a_loop", "", "", true, List.of(), 5, 0.2, List.of(), Loop.Audience.ANYONE, new JsonObject(),
        Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    Loop c = new Loop(3, "c_loop", "", "", true, List.of(), 5, 0.9, List.of(), Loop.Audience.ANYONE, new JsonObject(),
        Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    Loop d = loop(4, "d_loop", 9);
    Evaluation eval = decide(List.of(a, b, c, d), List.of(), student(2000), History.NONE, NOW);
    assertEquals(List.of("d_loop", "c_loop", "a_loop", "b_loop"), eval.eligible().stream().map(Loop::name).toList());
  }

  @Test
  void withNoLoopActiveTheRationaleIsPhase1s() {
    Loop off = new Loop(1, "off", "off", "", false, List.of(), 1, 0, List.of(), Loop.Audience.ANYONE, new JsonObject(),
        Condition.parse(new JsonObject()), 0, 0, new JsonObject(), 1);
    Evaluation eval = decide(List.of(off), List.of(DAILY_3), student(2000), History.NONE, NOW);
    assertEquals(Decider.PHASE_1_RATIONALE, eval.rationale());
    assertEquals(Evaluation.Outcome.NO_ELIGIBLE_LOOP, eval.outcome());
  }

  @Test
  void theHistoryReachesBackFarEnoughForEveryRule() {
    Catalog days = new Catalog(List.of(cooling(loop(1, "b", 1), 30 * 86_400L, 0)), List.of(DAILY_3), 1);
    assertEquals(NOW.minusSeconds(30 * 86_400L), Decider.historySince(days, NOW));
    Catalog plain = new Catalog(List.of(loop(1, "b", 1)), List.of(DAILY_3), 1);
    assertEquals(NOW.minusSeconds(Decider.CALENDAR_LOOKBACK_SECONDS), Decider.historySince(plain, NOW));
    Catalog rolling = new Catalog(List.of(), List.of(new FrequencyRule("r", FrequencyRule.Scope.GLOBAL, null, 1,
        new Period.Rolling(90 * 86_400L))), 1);
    assertEquals(NOW.minusSeconds(90 * 86_400L), Decider.historySince(rolling, NOW));
    Catalog lifetime = new Catalog(List.of(), List.of(new FrequencyRule("l", FrequencyRule.Scope.GLOBAL, null, 1,
        Period.Lifetime.INSTANCE)), 1);
    assertEquals(Instant.EPOCH, Decider.historySince(lifetime, NOW));
  }

  @Test
  void theFeaturesHoldEveryLoopsReasonAndDetail() {
    List<Loop> loops = new ArrayList<>(List.of(loop(1, "buddy", 2), targeted(loop(2, "t", 1),
        new JsonObject().put("event_type", "session_ended"))));
    JsonObject features = decide(loops, List.of(), student(2000), History.NONE, NOW).features("practice_completed");
    assertEquals("eligible", features.getJsonArray("checks").getJsonObject(0).getString("reason"));
    assertEquals("targeting_failed", features.getJsonArray("checks").getJsonObject(1).getString("reason"));
    assertEquals("event_type", features.getJsonArray("checks").getJsonObject(1).getString("detail"));
    assertEquals(7, features.getLong("config_version"));
  }

  @Test
  void theDetailsSayWhatTheAudienceCheckKnewOfTheAge() {
    Loop needsConsent = with(loop(1, "kids", 1), new Loop.Audience(null, null, List.of(), true));
    Learner noYear = new Learner("u1", LA, null, "student", "unknown", false, new JsonObject());
    assertTrue(only(decide(needsConsent, noYear)).detail().contains("age unknown (no birth_year)"));
    assertTrue(only(decide(needsConsent, student(2016))).detail().contains("may be 9, consent unknown"));
    Loop teens = with(loop(1, "teens", 1), new Loop.Audience(13, 17, List.of(), false));
    assertTrue(only(decide(teens, noYear)).detail().endsWith("learner age unknown"), only(decide(teens, noYear)).detail());
    assertTrue(only(decide(teens, student(2016))).detail().endsWith("may be 9"));
    Loop young = with(loop(1, "young", 1), new Loop.Audience(null, 12, List.of(), false));
    assertTrue(only(decide(young, noYear)).detail().endsWith("learner age unknown"));
    assertTrue(only(decide(young, student(2000))).detail().endsWith("may be 26"));
    Loop parents = with(loop(1, "parents", 1), new Loop.Audience(null, null, List.of("parent"), false));
    assertTrue(only(decide(parents, noYear)).detail().endsWith("learner is student"));
    Learner nobody = new Learner("u1", LA, null, null, "unknown", false, new JsonObject());
    assertTrue(only(decide(parents, nobody)).detail().endsWith("of unknown persona"));
  }

  @Test
  void theLatestSelectionStartsTheCooldownWhateverOrderTheHistoryIsIn() {
    Loop buddy = cooling(loop(1, "buddy", 1), 3600, 0);
    History newestFirst = new History(List.of(sel(1, NOW.minusSeconds(10)), sel(1, NOW.minusSeconds(5000))), Map.of());
    Check check = decide(List.of(buddy), List.of(), student(2000), newestFirst, NOW).checks().get(0);
    assertEquals(Reason.COOLING_DOWN, check.reason());
    assertTrue(check.detail().contains(NOW.minusSeconds(10).toString()), check.detail());
    History future = new History(List.of(sel(1, NOW.plusSeconds(10))), Map.of(1L, NOW.plusSeconds(10)));
    assertEquals(Reason.ELIGIBLE, decide(List.of(cooling(buddy, 3600, 3600)), List.of(), student(2000), future, NOW)
        .checks().get(0).reason(), "a selection or dismissal after now does not count");
  }

  @Test
  void aCapDetailNamesTheScopeAndWhenTheWindowResets() {
    History one = new History(List.of(sel(1, NOW.minusSeconds(60))), Map.of());
    FrequencyRule daily = new FrequencyRule("g", FrequencyRule.Scope.GLOBAL, null, 1, Period.CalendarDay.INSTANCE);
    String global = decide(List.of(loop(1, "buddy", 1)), List.of(daily), student(2000), one, NOW).checks().get(0).detail();
    assertEquals("g: 1 of 1 per calendar_day (global); resets at 2026-11-30T08:00:00Z", global);
    FrequencyRule ever = new FrequencyRule("s", FrequencyRule.Scope.GROUP, "social", 1, Period.Lifetime.INSTANCE);
    String group = decide(List.of(loop(1, "buddy", 1)), List.of(ever), student(2000), one, NOW).checks().get(0).detail();
    assertEquals("s: 1 of 1 per lifetime (group social)", group);
  }

  @Test
  void targetingSeesTheContextTheLearnerAndTheEvent() {
    Loop scored = targeted(loop(1, "scored", 1), new JsonObject().put("context.score", 72).put("learner.timezone",
        "America/Los_Angeles").put("learner.parental_consent", "unknown").put("event_type", "practice_completed"));
    assertEquals(Reason.ELIGIBLE, only(decide(scored, student(2000))).reason());
    Evaluation noContext = Decider.decide(new Catalog(List.of(targeted(loop(1, "t", 1),
        new JsonObject().put("context.score", new JsonObject().put("$exists", false)))), List.of(), 1),
        new Situation(student(2000), null, null, History.NONE, NOW));
    assertEquals(Reason.ELIGIBLE, only(noContext).reason(), "no context is an empty one");
  }

  @Test
  void theRationaleSaysWhy() {
    Learner out = new Learner("u1", LA, 2000, "student", "granted", true, new JsonObject());
    assertEquals("No loop: the learner opted out of growth loops", decide(loop(1, "b", 1), out).rationale());
    Loop high = targeted(loop(1, "b", 1), new JsonObject().put("context.score", new JsonObject().put("$gt", 100)));
    assertEquals("No eligible loop for practice_completed: every loop failed a check (see features_used.checks)",
        decide(high, student(2000)).rationale());
    Evaluation anyEvent = Decider.decide(new Catalog(List.of(loop(1, "b", 3)), List.of(), 1),
        new Situation(student(2000), null, new JsonObject(), History.NONE, NOW));
    assertEquals("Selected b: highest-priority eligible loop (priority 3), 1 of 1 loops eligible", anyEvent.rationale());
    assertEquals("selected", anyEvent.outcome().code());
    assertEquals(new io.vertx.core.json.JsonArray().add("b"), anyEvent.eligibleNames());
  }

  static History.Selection sel(long loopId, Instant at) {
    return new History.Selection(loopId, at);
  }

  @Test
  void aLoopBlockedByTrustSafetyIsCheckedAsSuchAndTheNextEligibleLoopIsChosen() {
    Catalog catalog = new Catalog(List.of(loop(1, "buddy", 30), loop(2, "rally", 20), inactive(loop(3, "quiet", 10))),
        List.of(), 7);
    Situation situation = new Situation(student(2010), "practice_completed", new JsonObject(), History.NONE, NOW);
    Evaluation eval = Decider.decide(catalog, situation, Map.of("buddy", "trust_safety: child_sharing",
        "quiet", "never vetted"));
    assertEquals("rally", eval.chosen().name());
    assertEquals(List.of("rally"), eval.eligible().stream().map(Loop::name).toList());
    assertEquals(new Check("buddy", Reason.BLOCKED_BY_TRUST_SAFETY, "trust_safety: child_sharing"), eval.checks().get(0));
    assertEquals(Reason.INACTIVE, eval.checks().get(2).reason(), "a block never hides an earlier reason");
    Evaluation none = Decider.decide(catalog, situation, Map.of("buddy", "x", "rally", "y"));
    assertEquals(Evaluation.Outcome.NO_ELIGIBLE_LOOP, none.outcome());
    assertNull(none.nothingShown("no").chosen());
  }

  static Loop inactive(Loop l) {
    return new Loop(l.id(), l.name(), l.displayName(), l.description(), false, l.triggers(), l.priority(),
        l.expectedK(), l.groups(), l.audience(), l.targetingDocument(), l.targeting(), l.cooldownSeconds(),
        l.dismissCooldownSeconds(), l.action(), l.version());
  }
}
