package viralengine.orchestrator;

import viralengine.api.Requests;

/** Handles one event type. Phase 1 handlers are stubs that only log the event; later phases add work here. */
interface EventHandler {
  /** The name reported as {@code handler} in trigger_event results. */
  String name();

  /** What the handler did with the event, reported as {@code action}. */
  String handle(Requests.TriggerEvent event);
}
