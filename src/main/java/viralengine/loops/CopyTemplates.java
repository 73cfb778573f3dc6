package viralengine.loops;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import io.vertx.core.json.JsonObject;
import viralengine.rpc.RpcException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A loop action's {@code copy}: per persona ({@code student}, {@code parent}, {@code tutor}, {@code default}) a
 * {@code {headline, body, cta, share_copy}} of Mustache templates (jmustache). Checked when the loop is written, so a
 * decision never meets a template it cannot render: plain variables only, named {@code learner.attributes.X},
 * {@code context.X} or {@code loop.display_name}; no sections, partials or unescaped ({@code {{{x}}}}, {@code {{&x}}})
 * output, which would let a value inject markup.
 */
public final class CopyTemplates {
  /** Each field and its bound, in characters: of the template and of what it renders. */
  public static final Map<String, Integer> FIELDS = fields();
  public static final List<String> PERSONAS = List.of("student", "parent", "tutor", "default");
  public static final String DEFAULT = "default";
  /** The compiler both validation and rendering use: HTML-escaped values; a missing value renders empty. */
  public static final Mustache.Compiler COMPILER = Mustache.compiler().escapeHTML(true).defaultValue("");
  private static final Pattern PLACEHOLDER =
      Pattern.compile("learner\\.attributes\\.[A-Za-z0-9_]{1,64}|context\\.[A-Za-z0-9_]{1,64}|loop\\.display_name");
  private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}&&[^\\n]]");

  private CopyTemplates() {}

  private static Map<String, Integer> fields() {
    Map<String, Integer> fields = new LinkedHashMap<>();
    fields.put("headline", 120);
    fields.put("body", 500);
    fields.put("cta", 40);
    fields.put("share_copy", 280);
    return java.util.Collections.unmodifiableMap(fields);
  }

  /** Throws -32602 naming the path (e.g. {@code loop.action.copy.parent.body}) of the first problem. */
  public static void validate(Object copy, String path) {
    FieldReader personas = FieldReader.of(copy, path, Set.copyOf(PERSONAS));
    if (((JsonObject) copy).isEmpty()) {
      throw RpcException.invalidParams(path, "must name at least one of " + PERSONAS);
    }
    for (String persona : PERSONAS) {
      if (!personas.has(persona)) {
        continue;
      }
      FieldReader texts = FieldReader.of(personas.raw(persona), personas.path(persona), FIELDS.keySet());
      for (Map.Entry<String, Integer> field : FIELDS.entrySet()) {
        String template = texts.text(field.getKey(), 0, field.getValue(), true, true);
        check(template, texts.path(field.getKey()));
      }
    }
  }

  private static void check(String template, String path) {
    if (CONTROL.matcher(template).find()) {
      throw RpcException.invalidParams(path, "must not contain control characters other than newlines");
    }
    if (template.contains("{{{") || template.contains("{{&")) {
      throw RpcException.invalidParams(path, "must not use unescaped output ({{{...}}} or {{&...}}): values are"
          + " inserted as plain text");
    }
    Template compiled;
    try {
      compiled = COMPILER.compile(template);
    } catch (MustacheException e) {
      throw RpcException.invalidParams(path, "is not a valid template: " + firstLine(e.getMessage()));
    }
    compiled.visit(new Mustache.Visitor() {
      @Override
      public void visitText(String text) {
        // jmustache keeps an unclosed or stray tag as text: a placeholder the writer meant, that would show as typed.
        if (text.contains("{{") || text.contains("}}")) {
          throw RpcException.invalidParams(path, "has a malformed placeholder: every {{ needs its }}, around one of"
              + " {{learner.attributes.X}}, {{context.X}}, {{loop.display_name}}");
        }
      }

      @Override
      public void visitVariable(String name) {
        if (!PLACEHOLDER.matcher(name).matches()) {
          throw RpcException.invalidParams(path, "has placeholder {{" + cut(name) + "}}; placeholders are"
              + " {{learner.attributes.X}}, {{context.X}} and {{loop.display_name}}");
        }
      }

      @Override
      public boolean visitInclude(String name) {
        throw RpcException.invalidParams(path, "must not include partials ({{>" + cut(name) + "}})");
      }

      @Override
      public boolean visitSection(String name) {
        throw RpcException.invalidParams(path, "must not use sections ({{#" + cut(name) + "}}): only placeholders");
      }

      @Override
      public boolean visitInvertedSection(String name) {
        throw RpcException.invalidParams(path, "must not use sections ({{^" + cut(name) + "}}): only placeholders");
      }
    });
  }

  private static String cut(String name) {
    return name.length() > 64 ? name.substring(0, 64) + "…" : name;
  }

  private static String firstLine(String message) {
    String text = message == null ? "malformed" : message;
    int newline = text.indexOf('\n');
    return cut(newline < 0 ? text : text.substring(0, newline));
  }
}
