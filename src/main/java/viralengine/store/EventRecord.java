package viralengine.store;

import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A row of {@code viral_events}. */
public record EventRecord(
    UUID eventId,
    String eventType,
    String userId,
    OffsetDateTime occurredAt,
    OffsetDateTime receivedAt,
    JsonObject context) {}
