package viralengine.orchestrator;

import viralengine.api.EventTypes;
import viralengine.api.Requests;

import java.util.Map;

/** Routes each event type to its own handler. */
final class EventRouter {
  static final String ACTION_LOGGED = "logged";

  /** A Phase-1 handler: the event is recorded with its decision, and nothing else happens yet. */
  private record StubHandler(String name) implements EventHandler {
    @Override
    public String handle(Requests.TriggerEvent event) {
      return ACTION_LOGGED;
    }
  }

  private final Map<String, EventHandler> routes = Map.of(
      EventTypes.PRACTICE_COMPLETED, new StubHandler("practice_completed_handler"),
      EventTypes.SESSION_ENDED, new StubHandler("session_ended_handler"),
      EventTypes.DIAGNOSTIC_COMPLETED, new StubHandler("diagnostic_completed_handler"));

  /** The handler of a validated event type; {@link Requests} rejects unknown types before this. */
  EventHandler route(String eventType) {
    EventHandler handler = routes.get(eventType);
    if (handler == null) {
      throw new IllegalStateException("no handler for validated event type " + eventType);
    }
    return handler;
  }
}
