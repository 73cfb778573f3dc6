package viralengine.store;

/** What became of one decision row in a batch insert. */
public enum Inserted {
  /** The row is in. */
  YES,
  /** Its request_id or decision_id was taken: the idempotency signal. */
  TAKEN,
  /** A guarded selection whose learner recorded another selection since it was decided: decide again. */
  STALE
}
