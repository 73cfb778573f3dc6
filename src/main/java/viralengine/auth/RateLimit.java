package viralengine.auth;

/** A token bucket: {@code perSecond} tokens refill per second, at most {@code burst} held. {@link #NONE}: no limit. */
public record RateLimit(double perSecond, int burst) {
  public static final RateLimit NONE = new RateLimit(0, 0);

  public boolean limited() {
    return perSecond > 0;
  }
}
