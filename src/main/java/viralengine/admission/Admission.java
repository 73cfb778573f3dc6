package viralengine.admission;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limit.WindowedLimit;
import com.netflix.concurrency.limits.limit.window.PercentileSampleWindowFactory;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import viralengine.config.AppConfig;
import viralengine.rpc.ErrorCodes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The in-flight bound of one HTTP instance, shared by its JSON-RPC and MCP routes.
 *
 * <p>A fixed bound does not bound latency: on a saturated CPU, every accepted request slows down and
 * the answers miss the SLA although the count in flight never rises. So the bound adapts (AIMD over
 * windows of {@value #WINDOW_MS} ms): a window whose 90th-percentile answer took longer than
 * {@code limits.target_latency_ms}, or that saw a timeout or an overload further in, shrinks it by a
 * tenth; a window in time, with at least half the bound in use, grows it by one, up to
 * {@code limits.max_concurrent_requests}. Judging windows rather than single answers keeps one pause
 * (a GC, a slow flush) from collapsing the bound. It starts at {@value #INITIAL_LIMIT}, so a burst
 * after a quiet spell is admitted only as far as recent answers justify. A target of 0 keeps the
 * bound fixed at the maximum.
 *
 * <p>Callers (API token names) share the bound fairly: each caller seen within the last
 * {@value #ACTIVE_MS} ms is owed an equal share of it, and a caller may take permits only as far as
 * that leaves the other callers' unused shares free. So a flood from one token fills the bound only
 * up to what the others are owed, and is the one shed; a caller alone may use the whole bound. Every
 * shed is reported to the shared {@link Pressure} (which keeps overload from opening the circuit) and to
 * {@code onShed} with the caller's name.
 *
 * <p>A caller that finds the bound full while it is still owed part of its share (it has just arrived,
 * and the flood took every permit before it was seen) waits for the next permit freed, up to
 * {@value #MAX_WAIT_MS} ms, instead of being shed: the flood, now over its share, cannot take that
 * permit back ({@link #acquire}). One instance's admission runs on its event loop only.
 */
public final class Admission {
  /** However far the latency falls behind, this many requests per instance still get through. */
  public static final int MIN_LIMIT = 4;
  public static final int INITIAL_LIMIT = 20;
  public static final long WINDOW_MS = 100;
  static final double BACKOFF_RATIO = 0.9;
  static final double PERCENTILE = 0.9;
  /** Samples kept per window and instance: more than a window sees at this service's throughput. */
  static final int WINDOW_SAMPLES = 2_000;
  /** A caller counts towards the fair share for this long after its last request. */
  public static final long ACTIVE_MS = 1_000;
  /**
   * A caller shed more than this many times in a second (on one instance) is flooding: its sheds are held back
   * {@link #FLOOD_DELAY_FACTOR} times longer (see {@link #shedDelayMs(String)}).
   */
  public static final int FLOOD_SHEDS_PER_SECOND = 200;
  public static final int FLOOD_DELAY_FACTOR = 10;
  /** How long a caller still owed part of its share waits for a permit before it is shed. */
  public static final long MAX_WAIT_MS = 100;
  /** The caller name when none is known (auth disabled, or a test). */
  public static final String ANONYMOUS = "anonymous";

  private final SimpleLimiter<Void> limiter;
  private final int max;
  private final long shedDelayMs;
  private final LongSupplier nanoClock;
  private final Pressure pressure;
  private final Consumer<String> onShed;
  /** In flight and last seen, per caller name. Names come from the configured tokens, so this stays small. */
  private final Map<String, Caller> callers = new HashMap<>();
  /** Calls waiting for a permit, oldest first; at most {@link #max}, each for at most {@link #MAX_WAIT_MS}. */
  private final java.util.ArrayDeque<Waiter> waiters = new java.util.ArrayDeque<>();
  private Timers timers = Timers.NONE;

  /** Ends a wait after its time; a test drives it by hand. */
  public interface Timers {
    /** No waiting: every call that finds no room is shed at once. */
    Timers NONE = new Timers() {
      @Override
      public long set(long delayMs, Runnable action) {
        return -1;
      }

      @Override
      public void cancel(long id) {
      }
    };

    long set(long delayMs, Runnable action);

    void cancel(long id);

    static Timers of(io.vertx.core.Vertx vertx) {
      return new Timers() {
        @Override
        public long set(long delayMs, Runnable action) {
          return vertx.setTimer(delayMs, id -> action.run());
        }

        @Override
        public void cancel(long id) {
          vertx.cancelTimer(id);
        }
      };
    }
  }

  private static final class Waiter {
    final String name;
    final int requests;
    final Consumer<Ticket> then;
    long timer;

    Waiter(String name, int requests, Consumer<Ticket> then) {
      this.name = name;
      this.requests = requests;
      this.then = then;
    }
  }

  private static final class Caller {
    int inFlight;
    long seenAt;
    /** Sheds in the current one-second window, and in the one before it. */
    long windowStart;
    int shedNow;
    int shedBefore;
  }

  public Admission(AppConfig.Limits limits) {
    this(limits, System::nanoTime, new Pressure(System::nanoTime), name -> { });
  }

  public Admission(AppConfig.Limits limits, Pressure pressure, Consumer<String> onShed) {
    this(limits, System::nanoTime, pressure, onShed);
  }

  /** {@code nanoClock}: what answers are timed with (a test can drive it). */
  Admission(AppConfig.Limits limits, LongSupplier nanoClock) {
    this(limits, nanoClock, new Pressure(nanoClock), name -> { });
  }

  Admission(AppConfig.Limits limits, LongSupplier nanoClock, Pressure pressure, Consumer<String> onShed) {
    this.max = limits.maxConcurrentRequests();
    this.shedDelayMs = limits.shedDelayMs();
    this.nanoClock = nanoClock;
    this.pressure = pressure;
    this.onShed = onShed;
    this.limiter = SimpleLimiter.newBuilder().limit(limit(limits)).nanoClock(nanoClock).build();
  }

  private static Limit limit(AppConfig.Limits limits) {
    int max = limits.maxConcurrentRequests();
    if (limits.targetLatencyMs() == 0) {
      return FixedLimit.of(max);
    }
    AIMDLimit aimd = AIMDLimit.newBuilder()
        .initialLimit(Math.min(INITIAL_LIMIT, max))
        .maxLimit(max)
        .minLimit(Math.min(MIN_LIMIT, max))
        .backoffRatio(BACKOFF_RATIO)
        .timeout(limits.targetLatencyMs(), TimeUnit.MILLISECONDS)
        .build();
    return WindowedLimit.newBuilder()
        .minWindowTime(WINDOW_MS, TimeUnit.MILLISECONDS)
        .maxWindowTime(WINDOW_MS, TimeUnit.MILLISECONDS)
        .sampleWindowFactory(PercentileSampleWindowFactory.of(PERCENTILE, WINDOW_SAMPLES))
        .build(aimd);
  }

  /** Lets callers owed part of their share wait for a permit ({@link #acquire}); without it they are shed at once. */
  public Admission waitingWith(Timers timers) {
    this.timers = timers;
    return this;
  }

  /**
   * Hands {@code then} a ticket, now or once a permit is freed, or null (a shed): at once when the caller is at or over
   * its share, after {@link #MAX_WAIT_MS} when it was owed one and none came free.
   */
  public void acquire(String name, int requests, Consumer<Ticket> then) {
    long now = nanoClock.getAsLong();
    Caller caller = seen(name, now);
    Ticket ticket = take(caller, requests, now);
    if (ticket != null) {
      then.accept(ticket);
      return;
    }
    if (timers == Timers.NONE || waiters.size() >= max || caller.inFlight + requests > share(caller, now)) {
      then.accept(shed(name));
      return;
    }
    Waiter waiter = new Waiter(name, requests, then);
    waiters.add(waiter);
    waiter.timer = timers.set(MAX_WAIT_MS, () -> {
      if (waiters.remove(waiter)) {
        then.accept(shed(name));
      }
    });
  }

  /** Permits freed go to the calls waiting, oldest first, as far as they fit. */
  private void serveWaiters() {
    while (!waiters.isEmpty()) {
      Waiter first = waiters.peek();
      long now = nanoClock.getAsLong();
      Ticket ticket = take(callers.get(first.name), first.requests, now);
      if (ticket == null) {
        return;
      }
      waiters.poll();
      timers.cancel(first.timer);
      first.then.accept(ticket);
    }
  }

  /** As {@link #tryAcquire(String, int)} for an unnamed caller. */
  public Ticket tryAcquire(int requests) {
    return tryAcquire(ANONYMOUS, requests);
  }

  /** One permit per request of a batch, all or none; null (a shed) when the bound or the caller's share is reached. */
  public Ticket tryAcquire(String name, int requests) {
    long now = nanoClock.getAsLong();
    Ticket ticket = take(seen(name, now), requests, now);
    return ticket != null ? ticket : shed(name);
  }

  private Caller seen(String name, long now) {
    Caller caller = callers.computeIfAbsent(name, n -> new Caller());
    caller.seenAt = now;
    return caller;
  }

  /** The permits, or null (taking none) when they do not fit the room left to this caller. */
  private Ticket take(Caller caller, int requests, long now) {
    if (requests > room(caller, now)) {
      return null;
    }
    List<Limiter.Listener> taken = new ArrayList<>(requests);
    for (int i = 0; i < requests; i++) {
      var permit = limiter.acquire(null);
      if (permit.isEmpty()) {
        taken.forEach(Limiter.Listener::onIgnore);
        return null;
      }
      taken.add(permit.get());
    }
    caller.inFlight += requests;
    return new Ticket(this, taken, caller);
  }

  private Ticket shed(String name) {
    countShed(callers.get(name), nanoClock.getAsLong());
    pressure.shed();
    onShed.accept(name);
    return null;
  }

  /**
   * Permits {@code caller} may take now: the free part of the bound, less what each other active
   * caller is still owed of its equal share.
   */
  private int room(Caller caller, long now) {
    int limit = limiter.getLimit();
    int share = share(caller, now);
    int owed = 0;
    for (Caller c : callers.values()) {
      if (c != caller && active(c, caller, now)) {
        owed += Math.max(0, share - c.inFlight);
      }
    }
    return limit - limiter.getInflight() - owed;
  }

  /** Each active caller's equal part of the bound. */
  private int share(Caller caller, long now) {
    int active = 0;
    for (Caller c : callers.values()) {
      if (active(c, caller, now)) {
        active++;
      }
    }
    return Math.max(1, limiter.getLimit() / active);
  }

  private static boolean active(Caller c, Caller asking, long now) {
    return c == asking || c.inFlight > 0 || now - c.seenAt < ACTIVE_MS * 1_000_000;
  }

  /** Requests of {@code name} admitted and not yet answered. */
  public int inFlight(String name) {
    Caller caller = callers.get(name);
    return caller == null ? 0 : caller.inFlight;
  }

  /** The bound now: {@code limits.max_concurrent_requests}, or less while answers are late. */
  public int limit() {
    return limiter.getLimit();
  }

  public int inFlight() {
    return limiter.getInflight();
  }

  /**
   * How long {@code name}'s shed answer is held back ({@link ShedPause}): {@code limits.shed_delay_ms}, or {@link #FLOOD_DELAY_FACTOR}
   * times that for a caller shed over {@link #FLOOD_SHEDS_PER_SECOND} times in this second or the last. A closed-loop
   * flood sends as fast as its sheds come back, so its rate, and the CPU its sheds take from everyone else's
   * decisions, fall by the same factor; a caller shed now and then keeps the short pause.
   */
  public long shedDelayMs(String name) {
    Caller caller = callers.get(name);
    if (caller == null) {
      return shedDelayMs;
    }
    rollWindow(caller, nanoClock.getAsLong());
    boolean flooding = Math.max(caller.shedNow, caller.shedBefore) > FLOOD_SHEDS_PER_SECOND;
    return flooding ? shedDelayMs * FLOOD_DELAY_FACTOR : shedDelayMs;
  }

  private static void countShed(Caller caller, long now) {
    if (caller != null) {
      rollWindow(caller, now);
      caller.shedNow++;
    }
  }

  private static void rollWindow(Caller caller, long now) {
    long elapsed = now - caller.windowStart;
    if (elapsed >= 1_000_000_000L) {
      caller.shedBefore = elapsed >= 2_000_000_000L ? 0 : caller.shedNow;
      caller.shedNow = 0;
      caller.windowStart = now;
    }
  }

  /** The -32003 message: the bound in force, and the setting behind it. */
  public String overloadedMessage() {
    int now = limit();
    return "Overloaded: " + now + " requests already in flight on this instance (limits.max_concurrent_requests="
        + max + (now < max ? ", lowered while answers are slower than limits.target_latency_ms" : "")
        + "); retry later";
  }

  /** Permits held by one HTTP request; each is released once, with how its answer went. */
  public static final class Ticket {
    private final Admission admission;
    private final List<Limiter.Listener> permits;
    private final Caller caller;
    private int next;

    private Ticket(Admission admission, List<Limiter.Listener> permits, Caller caller) {
      this.admission = admission;
      this.permits = permits;
      this.caller = caller;
    }

    /**
     * Releases one permit. A timeout (-32001) or an overload further in (-32003) counts as a drop; an
     * open circuit (-32002) answers at once without doing the work, so it says nothing about latency.
     */
    public void release(Integer errorCode) {
      Limiter.Listener permit = permits.get(next++);
      caller.inFlight--;
      int code = errorCode == null ? 0 : errorCode;
      if (code == ErrorCodes.TIMEOUT || code == ErrorCodes.OVERLOADED) {
        permit.onDropped();
      } else if (code == ErrorCodes.CIRCUIT_OPEN) {
        permit.onIgnore();
      } else {
        permit.onSuccess();
      }
      admission.serveWaiters();
    }
  }
}
