package viralengine.api;

/** The viral loops of the product brief; their rows are seeded by the V1 migration. */
public final class LoopNames {
  public static final String BUDDY_CHALLENGE = "buddy_challenge";
  public static final String RESULTS_RALLY = "results_rally";
  public static final String PROUD_PARENT = "proud_parent";
  public static final String TUTOR_SPOTLIGHT = "tutor_spotlight";

  private LoopNames() {}
}
