package viralengine.store;

import viralengine.orchestrator.OrchestratorVerticle;

/** Not a test: a deliberate upward import (store, a feature, using the orchestrator) for LayeringTest to catch. */
public final class UpwardImportFixture {
  public static Class<?> upward() {
    return OrchestratorVerticle.class;
  }

  private UpwardImportFixture() {}
}
