package viralengine.report;

/**
 * Prints loop_report's two queries (ReportStore.FIGURES, ReportStore.LEARNERS) for bench/report.sh, which runs them
 * under EXPLAIN (ANALYZE, BUFFERS) against 10 million decisions. Compile-time constants only: runs without the
 * service's dependencies on the class path ({@code java -cp target/classes viralengine.report.ReportQueries figures}).
 */
public final class ReportQueries {
  private ReportQueries() {}

  public static void main(String[] args) {
    System.out.println(args.length > 0 && args[0].equals("learners") ? ReportStore.LEARNERS : ReportStore.FIGURES);
  }
}
