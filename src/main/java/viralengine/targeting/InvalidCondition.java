package viralengine.targeting;

/** A targeting document that cannot be evaluated; {@code path} names the offending key, e.g. {@code context.score.$regex}. */
public final class InvalidCondition extends RuntimeException {
  private final String path;
  private final String reason;

  InvalidCondition(String path, String reason) {
    super(path + ": " + reason, null, false, false);
    this.path = path;
    this.reason = reason;
  }

  public String path() {
    return path;
  }

  public String reason() {
    return reason;
  }
}
