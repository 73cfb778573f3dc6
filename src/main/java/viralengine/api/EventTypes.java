package viralengine.api;

import java.util.List;

/** The event types product services may send in Phase 1. */
public final class EventTypes {
  public static final String PRACTICE_COMPLETED = "practice_completed";
  public static final String SESSION_ENDED = "session_ended";
  public static final String DIAGNOSTIC_COMPLETED = "diagnostic_completed";
  public static final List<String> ALL = List.of(PRACTICE_COMPLETED, SESSION_ENDED, DIAGNOSTIC_COMPLETED);

  private EventTypes() {}
}
