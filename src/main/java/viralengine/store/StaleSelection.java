package viralengine.store;

/**
 * A guarded selection did not go in: its learner recorded another selection after this decision read the
 * history. Nothing was written; the decider reads the history again and decides anew.
 */
public final class StaleSelection extends RuntimeException {
  public StaleSelection() {
    super("the learner's history changed while deciding", null, false, false);
  }
}
