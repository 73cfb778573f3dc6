package viralengine.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import org.junit.jupiter.api.Test;
import viralengine.orchestrator.OrchestratorVerticle;
import viralengine.store.UpwardImportFixture;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering of docs/design-notes.md "Packages and layers", held by ArchUnit: a package may use its own layer and
 * the layers below it, never one above, and no two packages depend on each other. A new upward import fails here.
 */
class LayeringTest {
  static final String ROOT = "viralengine";

  /** Top to bottom: each layer and its packages ("" is the root package: Main and Service). */
  static final Map<String, List<String>> LAYERS = layers();

  private static Map<String, List<String>> layers() {
    Map<String, List<String>> layers = new LinkedHashMap<>();
    layers.put("App", List.of(""));
    layers.put("Edge", List.of("http", "mcp", "client"));
    layers.put("Agents", List.of("orchestrator", "admin", "cluster", "peers", "guardrails"));
    layers.put("Features", List.of("decision", "bandit", "report", "outcomes", "learners", "loops", "decisionlog",
        "admission", "connections", "store", "metrics", "agents", "targeting", "frequency", "lifecycle", "safety", "incentives", "personalization", "bench"));
    layers.put("Contract", List.of("api"));
    layers.put("Base", List.of("rpc", "config", "auth", "logs"));
    return layers;
  }

  private static String[] packages(List<String> names) {
    return names.stream().map(name -> name.isEmpty() ? ROOT : ROOT + "." + name + "..").toArray(String[]::new);
  }

  /** Each layer may be used only by the layers above it (and by itself). */
  static ArchRule layering() {
    LayeredArchitecture rule = layeredArchitecture().consideringOnlyDependenciesInLayers();
    List<String> above = new ArrayList<>();
    for (Map.Entry<String, List<String>> layer : LAYERS.entrySet()) {
      rule = rule.layer(layer.getKey()).definedBy(packages(layer.getValue()));
    }
    for (String layer : LAYERS.keySet()) {
      rule = above.isEmpty() ? rule.whereLayer(layer).mayNotBeAccessedByAnyLayer()
          : rule.whereLayer(layer).mayOnlyBeAccessedByLayers(above.toArray(String[]::new));
      above.add(layer);
    }
    return rule;
  }

  static JavaClasses mainClasses() {
    return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);
  }

  @Test
  void everyPackageUsesOnlyItsOwnLayerAndTheOnesBelow() {
    layering().check(mainClasses());
  }

  /**
   * The edges parse, guard and forward; what is written to the audit trail, a default answer included, is decided
   * where the orchestrator lives (issue 24: the default decision moved out of http).
   */
  static ArchRule edgesWriteNoAuditRows() {
    return noClasses().that().resideInAnyPackage(packages(LAYERS.get("Edge"))).should().dependOnClassesThat()
        .resideInAPackage(ROOT + ".decisionlog..")
        .orShould().dependOnClassesThat().haveNameMatching(ROOT + "\\.store\\..*Record");
  }

  @Test
  void theEdgesWriteNoAuditRows() {
    edgesWriteNoAuditRows().check(mainClasses());
  }

  @Test
  void noTwoPackagesDependOnEachOther() {
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(mainClasses());
  }

  @Test
  void everyPackageIsInALayer() {
    String[] all = LAYERS.values().stream().flatMap(List::stream).map(name -> name.isEmpty() ? ROOT : ROOT + "." + name + "..")
        .toArray(String[]::new);
    classes().should().resideInAnyPackage(all).because("a package in no layer would escape the layering rule")
        .check(mainClasses());
  }

  @Test
  void aDeliberateUpwardImportFails() {
    JavaClasses withFixture = new ClassFileImporter().importClasses(UpwardImportFixture.class, OrchestratorVerticle.class);
    EvaluationResult result = layering().evaluate(withFixture);
    String report = String.join("\n", result.getFailureReport().getDetails());
    assertTrue(result.hasViolation(), "store using the orchestrator is reported");
    assertTrue(report.contains(UpwardImportFixture.class.getName()) && report.contains(OrchestratorVerticle.class.getName()), report);
  }
}
