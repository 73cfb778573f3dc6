package viralengine.frequency;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Windows in a zone: parsing, start and end of each period, DST days, ISO weeks and the rolling boundary. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PeriodTest {
  static final ZoneId LA = ZoneId.of("America/Los_Angeles");
  static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
  static final ZoneId UTC = ZoneId.of("UTC");

  static Instant at(String iso) {
    return Instant.parse(iso);
  }

  // ---- parse

  @Test
  void parsesEachNamedPeriodAndARollingWindow() {
    assertSame(Period.CalendarDay.INSTANCE, Period.parse("calendar_day"));
    assertSame(Period.CalendarWeek.INSTANCE, Period.parse("calendar_week"));
    assertSame(Period.Lifetime.INSTANCE, Period.parse("lifetime"));
    assertEquals(new Period.Rolling(3600), Period.parse(new JsonObject().put("rolling_seconds", 3600)));
    assertEquals(new Period.Rolling(60), Period.parse(new JsonObject().put("rolling_seconds", 60.0)));
    assertEquals(new Period.Rolling(1), Period.parse(new JsonObject().put("rolling_seconds", new BigDecimal("1"))));
    assertEquals(new Period.Rolling(Period.MAX_ROLLING_SECONDS),
        Period.parse(new JsonObject().put("rolling_seconds", Period.MAX_ROLLING_SECONDS)));
  }

  @Test
  void toJsonRoundTripsThroughParse() {
    for (Object json : new Object[] {"calendar_day", "calendar_week", "lifetime", new JsonObject().put("rolling_seconds", 90L)}) {
      Period period = Period.parse(json);
      assertEquals(json, period.toJson());
      assertEquals(period, Period.parse(period.toJson()));
    }
  }

  static void refused(Object json, String reason) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Period.parse(json), String.valueOf(json));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }

  @Test
  void refusesUnknownNamesAndBadRollingWindowsWithAClearReason() {
    String shape = "must be calendar_day, calendar_week, lifetime or {rolling_seconds: N}";
    refused("calendar_month", shape);
    refused("Calendar_Day", shape);
    refused("", shape);
    refused(null, shape);
    refused(86_400, shape);
    refused(new JsonObject(), shape);
    refused(new JsonObject().put("rolling_seconds", "60"), shape);
    refused(new JsonObject().put("rolling_seconds", null), shape);
    refused(new JsonObject().put("rolling_seconds", 60).put("extra", 1), shape);
    refused(new JsonObject().put("seconds", 60), shape);
    String range = "rolling_seconds must be a whole number from 1 to " + Period.MAX_ROLLING_SECONDS;
    refused(new JsonObject().put("rolling_seconds", 0), range);
    refused(new JsonObject().put("rolling_seconds", -5), range);
    refused(new JsonObject().put("rolling_seconds", 1.5), range);
    refused(new JsonObject().put("rolling_seconds", 0.999), range);
    refused(new JsonObject().put("rolling_seconds", Period.MAX_ROLLING_SECONDS + 1), range);
    refused(new JsonObject().put("rolling_seconds", 1e30), range);
    refused(new JsonObject().put("rolling_seconds", Double.NaN), range);
    refused(new JsonObject().put("rolling_seconds", new BigDecimal("100000000000000000000000")), range);
  }

  // ---- calendar_day

  @Test
  void aCalendarDayRunsFromLocalMidnightToLocalMidnight() {
    Period day = Period.CalendarDay.INSTANCE;
    Instant now = at("2026-11-29T08:30:00Z"); // 00:30 PST on the 29th
    assertEquals(at("2026-11-29T08:00:00Z"), day.start(now, LA));
    assertEquals(at("2026-11-30T08:00:00Z"), day.end(now, LA));
    assertEquals(at("2026-11-29T00:00:00Z"), day.start(now, UTC));
    assertEquals(at("2026-11-30T00:00:00Z"), day.end(now, UTC));
    assertEquals(at("2026-11-28T15:00:00Z"), day.start(now, TOKYO)); // 17:30 JST on the 29th
    assertEquals(at("2026-11-29T15:00:00Z"), day.end(now, TOKYO));
  }

  @Test
  void theSpringForwardDayHas23HoursAndTheFallBackDay25() {
    Period day = Period.CalendarDay.INSTANCE;
    Instant spring = at("2026-03-08T12:00:00Z"); // 2026-03-08 in LA: 02:00 PST becomes 03:00 PDT
    assertEquals(at("2026-03-08T08:00:00Z"), day.start(spring, LA));
    assertEquals(at("2026-03-09T07:00:00Z"), day.end(spring, LA));
    assertEquals(Duration.ofHours(23), Duration.between(day.start(spring, LA), day.end(spring, LA)));
    Instant fall = at("2026-11-01T12:00:00Z"); // 2026-11-01 in LA: 02:00 PDT becomes 01:00 PST
    assertEquals(at("2026-11-01T07:00:00Z"), day.start(fall, LA));
    assertEquals(at("2026-11-02T08:00:00Z"), day.end(fall, LA));
    assertEquals(Duration.ofHours(25), Duration.between(day.start(fall, LA), day.end(fall, LA)));
  }

  @Test
  void aDayWhoseMidnightDoesNotExistStartsAtTheFirstLocalInstant() {
    // Chile springs forward at local midnight: 2026-09-06 begins at 01:00 CLST (04:00 UTC).
    ZoneId santiago = ZoneId.of("America/Santiago");
    Instant noon = at("2026-09-06T16:00:00Z");
    assertEquals(at("2026-09-06T04:00:00Z"), Period.CalendarDay.INSTANCE.start(noon, santiago));
    assertEquals(at("2026-09-07T03:00:00Z"), Period.CalendarDay.INSTANCE.end(noon, santiago));
  }

  @Test
  void theDayStartIsInsideTheWindowAndTheInstantBeforeItIsNot() {
    Period day = Period.CalendarDay.INSTANCE;
    Instant now = at("2026-11-29T20:00:00Z");
    Instant midnight = at("2026-11-29T08:00:00Z");
    assertEquals(1, day.count(List.of(midnight), now, LA));
    assertEquals(0, day.count(List.of(midnight.minusNanos(1)), now, LA));
    assertEquals(1, day.count(List.of(now), now, LA), "a selection at now counts");
    assertEquals(0, day.count(List.of(now.plusNanos(1)), now, LA), "one after now does not");
    assertEquals(3, day.count(List.of(midnight, midnight.minusSeconds(1), now, now.plusSeconds(1), midnight.plusSeconds(1)), now, LA));
    assertEquals(0, day.count(List.of(), now, LA));
  }

  // ---- calendar_week

  @Test
  void anIsoWeekStartsOnMondayAtLocalMidnight() {
    Period week = Period.CalendarWeek.INSTANCE;
    Instant sunday = at("2026-11-30T07:59:30Z"); // Sunday 2026-11-29 23:59:30 PST
    assertEquals(at("2026-11-23T08:00:00Z"), week.start(sunday, LA));
    assertEquals(at("2026-11-30T08:00:00Z"), week.end(sunday, LA));
    assertEquals(at("2026-11-30T00:00:00Z"), week.start(sunday, UTC), "in UTC it is already Monday the 30th");
    assertEquals(at("2026-12-07T00:00:00Z"), week.end(sunday, UTC));
    Instant mondayMidnight = at("2026-11-30T08:00:00Z");
    assertEquals(mondayMidnight, week.start(mondayMidnight, LA), "Monday 00:00 starts its own week");
    assertEquals(at("2026-11-23T08:00:00Z"), week.start(mondayMidnight.minusNanos(1), LA));
  }

  @Test
  void aWeekAcrossTheFallBackChangeIs169Hours() {
    Period week = Period.CalendarWeek.INSTANCE;
    Instant wednesday = at("2026-10-28T12:00:00Z");
    assertEquals(at("2026-10-26T07:00:00Z"), week.start(wednesday, LA));
    assertEquals(at("2026-11-02T08:00:00Z"), week.end(wednesday, LA));
    assertEquals(Duration.ofHours(169), Duration.between(week.start(wednesday, LA), week.end(wednesday, LA)));
  }

  @Test
  void aWeekCountsFromMondayUpToNow() {
    Period week = Period.CalendarWeek.INSTANCE;
    Instant now = at("2026-11-26T12:00:00Z"); // Thursday
    List<Instant> selections = List.of(at("2026-11-23T07:59:59Z"), at("2026-11-23T08:00:00Z"), at("2026-11-25T00:00:00Z"),
        at("2026-11-26T12:00:01Z"));
    assertEquals(2, week.count(selections, now, LA));
    assertEquals(3, week.count(selections, now, UTC), "Sunday 23:59:59 PST is Monday 07:59:59 UTC");
  }

  // ---- rolling

  @Test
  void aRollingWindowExcludesExactlyNSecondsAgoAndIgnoresTheZone() {
    Period.Rolling hour = new Period.Rolling(3600);
    Instant now = at("2026-11-29T08:10:00Z");
    assertEquals(at("2026-11-29T07:10:00Z"), hour.start(now, LA));
    assertEquals(hour.start(now, LA), hour.start(now, TOKYO));
    assertNull(hour.end(now, LA), "a rolling window has no fixed end");
    assertEquals(0, hour.count(List.of(at("2026-11-29T07:10:00Z")), now, LA), "exactly N seconds ago is out");
    assertEquals(1, hour.count(List.of(at("2026-11-29T07:10:00Z").plusNanos(1)), now, LA), "a moment later is in");
    assertEquals(1, hour.count(List.of(now), now, LA));
    assertEquals(0, hour.count(List.of(now.plusMillis(1)), now, LA));
  }

  @Test
  void calendarWindowsIncludeTheirStartButRollingExcludesIt() {
    Instant start = at("2026-01-01T00:00:00Z");
    assertTrue(Period.CalendarDay.INSTANCE.inWindow(start, start));
    assertTrue(Period.CalendarWeek.INSTANCE.inWindow(start, start));
    assertTrue(!new Period.Rolling(5).inWindow(start, start));
    assertTrue(new Period.Rolling(5).inWindow(start.plusNanos(1), start));
  }

  // ---- lifetime

  @Test
  void aLifetimeHasNoBoundsAndCountsEverythingUpToNow() {
    Instant now = at("2026-11-29T08:30:00Z");
    assertNull(Period.Lifetime.INSTANCE.start(now, LA));
    assertNull(Period.Lifetime.INSTANCE.end(now, LA));
    assertEquals(3, Period.Lifetime.INSTANCE.count(List.of(Instant.EPOCH, at("2000-01-01T00:00:00Z"), now,
        now.plusSeconds(1)), now, LA));
  }
}
