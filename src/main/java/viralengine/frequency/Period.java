package viralengine.frequency;

import io.vertx.core.json.JsonObject;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.List;

/**
 * The window a frequency rule counts selections in. Calendar periods are in the learner's time zone
 * (a local day may be 23 or 25 hours long); a rolling window and a lifetime ignore the zone.
 */
public sealed interface Period {
  /** Longest rolling window a rule may use: ten years. */
  long MAX_ROLLING_SECONDS = 10L * 366 * 86_400;

  /** Start of the window that contains {@code now} (inclusive), or null for a lifetime. */
  Instant start(Instant now, ZoneId zone);

  /** When the window containing {@code now} ends, or null for a lifetime. For rolling windows, see {@link Rolling}. */
  Instant end(Instant now, ZoneId zone);

  /** The JSON form: a name, or {@code {rolling_seconds: N}}. */
  Object toJson();

  /** Selections in the window that contains {@code now}; a selection after {@code now} is not counted. */
  default int count(List<Instant> selections, Instant now, ZoneId zone) {
    Instant start = start(now, zone);
    int n = 0;
    for (Instant at : selections) {
      if (!at.isAfter(now) && (start == null || inWindow(at, start))) {
        n++;
      }
    }
    return n;
  }

  /** Calendar windows include their start; a rolling window excludes it (exactly N seconds ago is out). */
  default boolean inWindow(Instant at, Instant start) {
    return !at.isBefore(start);
  }

  /** Parses {@code "calendar_day" | "calendar_week" | "lifetime" | {rolling_seconds: N}}. */
  static Period parse(Object json) {
    if (json instanceof String name) {
      return switch (name) {
        case "calendar_day" -> CalendarDay.INSTANCE;
        case "calendar_week" -> CalendarWeek.INSTANCE;
        case "lifetime" -> Lifetime.INSTANCE;
        default -> throw new IllegalArgumentException("must be calendar_day, calendar_week, lifetime or {rolling_seconds: N}");
      };
    }
    if (json instanceof JsonObject object && object.size() == 1 && object.getValue("rolling_seconds") instanceof Number n) {
      long seconds = n.longValue();
      if (n.doubleValue() != seconds || seconds < 1 || seconds > MAX_ROLLING_SECONDS) {
        throw new IllegalArgumentException("rolling_seconds must be a whole number from 1 to " + MAX_ROLLING_SECONDS);
      }
      return new Rolling(seconds);
    }
    throw new IllegalArgumentException("must be calendar_day, calendar_week, lifetime or {rolling_seconds: N}");
  }

  /** The local calendar day, midnight to midnight in the zone. */
  enum CalendarDay implements Period {
    INSTANCE;

    @Override
    public Instant start(Instant now, ZoneId zone) {
      return now.atZone(zone).toLocalDate().atStartOfDay(zone).toInstant();
    }

    @Override
    public Instant end(Instant now, ZoneId zone) {
      return now.atZone(zone).toLocalDate().plusDays(1).atStartOfDay(zone).toInstant();
    }

    @Override
    public Object toJson() {
      return "calendar_day";
    }
  }

  /** The ISO week in the zone: from Monday 00:00 local. */
  enum CalendarWeek implements Period {
    INSTANCE;

    @Override
    public Instant start(Instant now, ZoneId zone) {
      return monday(now, zone).atStartOfDay(zone).toInstant();
    }

    @Override
    public Instant end(Instant now, ZoneId zone) {
      return monday(now, zone).plusWeeks(1).atStartOfDay(zone).toInstant();
    }

    private static LocalDate monday(Instant now, ZoneId zone) {
      return now.atZone(zone).toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
    }

    @Override
    public Object toJson() {
      return "calendar_week";
    }
  }

  /** Everything up to now. */
  enum Lifetime implements Period {
    INSTANCE;

    @Override
    public Instant start(Instant now, ZoneId zone) {
      return null;
    }

    @Override
    public Instant end(Instant now, ZoneId zone) {
      return null;
    }

    @Override
    public Object toJson() {
      return "lifetime";
    }
  }

  /** The last N seconds before now. It has no fixed end: a selection leaves it N seconds after it was made. */
  record Rolling(long seconds) implements Period {
    @Override
    public Instant start(Instant now, ZoneId zone) {
      return now.minusSeconds(seconds);
    }

    @Override
    public Instant end(Instant now, ZoneId zone) {
      return null;
    }

    @Override
    public boolean inWindow(Instant at, Instant start) {
      return at.isAfter(start);
    }

    @Override
    public Object toJson() {
      return new JsonObject().put("rolling_seconds", seconds);
    }
  }
}
