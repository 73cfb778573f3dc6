import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints PIT's mutation score per package from {@code mutations.xml} and fails (exit 1) when a package
 * that has mutants scores below the minimum. Run by the {@code mutation} Maven profile as a single-file
 * program ({@code java MutationSummary.java <mutations.xml> <min %> <package>...}), so it needs nothing
 * but the JDK. A package named but without classes yet is listed as such, not failed.
 */
public final class MutationSummary {
  public static void main(String[] args) throws Exception {
    File report = new File(args[0]);
    int minimum = Integer.parseInt(args[1]);
    List<String> expected = List.of(args).subList(2, args.length);
    NodeList mutations = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report)
        .getElementsByTagName("mutation");
    Map<String, int[]> byPackage = new TreeMap<>(); // package -> {killed, total, no coverage}
    for (int i = 0; i < mutations.getLength(); i++) {
      Element m = (Element) mutations.item(i);
      String clazz = m.getElementsByTagName("mutatedClass").item(0).getTextContent();
      String pkg = clazz.substring(0, clazz.lastIndexOf('.'));
      int[] counts = byPackage.computeIfAbsent(pkg, p -> new int[3]);
      counts[1]++;
      if ("true".equals(m.getAttribute("detected"))) {
        counts[0]++;
      } else if ("NO_COVERAGE".equals(m.getAttribute("status"))) {
        counts[2]++;
      }
    }
    System.out.println();
    System.out.println("Mutation score per package (minimum " + minimum + "%, report " + report + "):");
    boolean failed = false;
    for (String pkg : expected) {
      byPackage.putIfAbsent(pkg, new int[3]);
    }
    for (Map.Entry<String, int[]> e : byPackage.entrySet()) {
      int[] c = e.getValue();
      if (c[1] == 0) {
        System.out.printf("  %-24s no classes yet%n", e.getKey());
        continue;
      }
      int score = (int) (100L * c[0] / c[1]); // rounded down: 89.6% is not 90%
      boolean low = 100L * c[0] < (long) minimum * c[1];
      failed |= low;
      System.out.printf("  %-24s %3d%%  %4d of %4d killed, %3d survived, %3d without coverage%s%n", e.getKey(), score,
          c[0], c[1], c[1] - c[0] - c[2], c[2], low ? "  BELOW " + minimum + "%" : "");
    }
    if (failed) {
      System.out.println("A package scores below " + minimum + "%: see target/pit-reports/index.html for the survivors.");
      System.exit(1);
    }
  }
}
