package viralengine.agents;

/** An agent's answer that breaks the contract (AGENTS.md): a failure of that agent, outcome {@code invalid}. */
final class InvalidAnswer extends RuntimeException {
  InvalidAnswer(String problem) {
    super(problem, null, false, false);
  }
}
