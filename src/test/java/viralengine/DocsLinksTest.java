package viralengine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README is a map of docs/, and docs/ pages point at each other and at the code: every relative link in
 * README.md and docs/*.md must name a file that exists and, when it names a heading ({@code page.md#heading}),
 * a heading of that page, by GitHub's anchor rules. Otherwise the map rots the first time a page is renamed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DocsLinksTest {
  /** {@code [text](target)} and {@code ![alt](target)}; an optional title after the target is ignored. */
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern INLINE_CODE = Pattern.compile("`[^`]*`");

  @Test
  void everyRelativeLinkInTheReadmeAndDocsResolvesToAFileAndHeading() throws IOException {
    List<Path> pages = pages(Path.of("."));
    assertTrue(pages.size() > 5, "README.md and the pages of docs/ are found: " + pages);
    List<String> broken = brokenLinks(pages);
    assertEquals(List.of(), broken, "broken links");
  }

  @Test
  void aMissingFileAndAMissingHeadingAreBothReported(@TempDir Path root) throws IOException {
    Files.createDirectories(root.resolve("docs"));
    Files.writeString(root.resolve("README.md"), """
        # Title
        See [the API](docs/api.md#json-rpc-over-http), [gone](docs/gone.md) and [here](#title).
        ```
        [inside a code block](docs/not-checked.md)
        ```
        """);
    Files.writeString(root.resolve("docs/api.md"), """
        # The API
        ## JSON-RPC, over HTTP!
        Back to [the README](../README.md#no-such-heading).
        """);
    assertEquals(List.of("README.md: docs/gone.md (no such file)",
        "docs/api.md: ../README.md#no-such-heading (no such heading)"), brokenLinks(pages(root)).stream()
        .map(line -> line.replace(root.toString() + "/", "")).toList());
  }

  @Test
  void anchorsFollowGitHubsRules() {
    assertEquals(List.of("measure-and-learn-holdout-variants-bandit", "the-circuit-breaker", "the-circuit-breaker-1",
            "logs-for-people-and-for-machines", "rpcdiscover--the-openrpc-document"),
        anchors(List.of("Measure and learn: holdout, variants, bandit", "The circuit breaker", "The circuit breaker",
            "Logs: for people and for machines", "`rpc.discover` — the OpenRPC document")).stream().toList());
  }

  static List<Path> pages(Path root) throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(root.resolve("README.md"));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  static List<String> brokenLinks(List<Path> pages) throws IOException {
    Map<Path, Set<String>> headings = new HashMap<>();
    List<String> broken = new ArrayList<>();
    for (Path page : pages) {
      for (String target : links(page)) {
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
          continue; // http:, https:, mailto: are not files of this repository
        }
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
          broken.add(page.normalize() + ": " + target + " (no such file)");
        } else if (anchor != null && resolved.toString().endsWith(".md")
            && !headings.computeIfAbsent(resolved, DocsLinksTest::headings).contains(anchor)) {
          broken.add(page.normalize() + ": " + target + " (no such heading)");
        }
      }
    }
    return broken;
  }

  /** The link targets of a page, outside fenced code blocks and inline code. */
  static List<String> links(Path page) throws IOException {
    List<String> targets = new ArrayList<>();
    boolean fenced = false;
    for (String line : Files.readAllLines(page)) {
      if (line.trim().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (!fenced) {
        Matcher m = LINK.matcher(INLINE_CODE.matcher(line).replaceAll(""));
        while (m.find()) {
          targets.add(m.group(1));
        }
      }
    }
    return targets;
  }

  private static Set<String> headings(Path page) {
    try {
      List<String> titles = new ArrayList<>();
      boolean fenced = false;
      for (String line : Files.readAllLines(page)) {
        if (line.trim().startsWith("```")) {
          fenced = !fenced;
        } else if (!fenced) {
          Matcher m = HEADING.matcher(line);
          if (m.matches()) {
            titles.add(m.group(1));
          }
        }
      }
      return new HashSet<>(anchors(titles));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * GitHub's anchors: lower case; markup and punctuation dropped (letters, digits, spaces, '-' and '_' stay);
   * each space a '-'; a repeated anchor gets -1, -2, ...
   */
  static List<String> anchors(List<String> titles) {
    Map<String, Integer> seen = new HashMap<>();
    List<String> anchors = new ArrayList<>();
    for (String title : titles) {
      String text = title.replaceAll("\\[([^\\]]*)]\\([^)]*\\)", "$1");
      String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
      int n = seen.merge(slug, 1, Integer::sum) - 1;
      anchors.add(n == 0 ? slug : slug + "-" + n);
    }
    return anchors;
  }
}
