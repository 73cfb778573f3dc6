package viralengine.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

import java.util.ArrayList;
import java.util.List;

/**
 * Carries a request parsed at the edge to the orchestrator on the same node as it is: no copy, no second parse.
 * A parsed request is immutable once sent (its JSON is the caller's params, which no one writes to after parsing).
 *
 * <p>Local only: a call forwarded to another node goes as its params' JSON, which that node validates.
 */
public final class ParsedCodec implements MessageCodec<Requests.Parsed, Requests.Parsed> {
  private final String name;

  private ParsedCodec(Class<?> type) {
    this.name = "viral-engine-parsed-" + type.getSimpleName();
  }

  /** Makes every parsed request type travel with this codec on {@code bus}; calling it again is harmless. */
  public static synchronized void register(EventBus bus) {
    List<Class<?>> types = new ArrayList<>();
    collect(Requests.Parsed.class, types);
    try {
      for (Class<?> type : types) {
        register(bus, type);
      }
    } catch (IllegalStateException alreadyRegistered) {
      // A second verticle on the same event bus: the first one registered them all.
    }
  }

  private static void collect(Class<?> type, List<Class<?>> into) {
    if (!type.isInterface()) {
      into.add(type);
      return;
    }
    for (Class<?> sub : type.getPermittedSubclasses()) {
      collect(sub, into);
    }
  }

  @SuppressWarnings("unchecked")
  private static void register(EventBus bus, Class<?> type) {
    bus.registerDefaultCodec((Class<Requests.Parsed>) type, new ParsedCodec(type));
  }

  @Override
  public void encodeToWire(Buffer buffer, Requests.Parsed parsed) {
    throw new IllegalStateException("a parsed request is never sent to another node: forward its params");
  }

  @Override
  public Requests.Parsed decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException("a parsed request is never received from another node");
  }

  @Override
  public Requests.Parsed transform(Requests.Parsed parsed) {
    return parsed;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
