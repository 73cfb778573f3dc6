package viralengine.personalization;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.peers.PeerFixtures;
import viralengine.support.PeerRpc;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The personalization agent over real HTTP and PostgreSQL: per-persona copy from the learner's profile, escaped. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PersonalizationHttpTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = PeerFixtures.start(new JsonObject());
  }

  @AfterAll
  static void stop() {
    PeerFixtures.stop(svc);
  }

  @BeforeEach
  void reset() {
    PeerFixtures.reset(svc);
    PeerFixtures.upsert(svc, PeerFixtures.sharingLoop("peer_buddy"));
  }

  static JsonObject personalize(JsonObject params) {
    JsonObject action = PeerFixtures.sharingLoop("peer_buddy").getJsonObject("action");
    return PeerRpc.ok(svc, "personalization", "personalize", new JsonObject().put("loop", "peer_buddy").put("action", action)
        .mergeIn(params));
  }

  @Test
  void theLearnersPersonaCopyIsRenderedWithTheirAttributesAndTheEventsContext() {
    PeerFixtures.adult(svc, "ada", new JsonObject().put("first_name", "Ada"));
    JsonObject copy = personalize(new JsonObject().put("user_id", "ada")
        .put("context", new JsonObject().put("skill", "fractions").put("score", 0.92)));
    assertEquals(new JsonObject().put("headline", "Ada, challenge a buddy!").put("body", "You scored 0.92 on fractions.")
        .put("cta", "Challenge").put("share_copy", "Beat my fractions score on Buddy &lt;b&gt;challenge&lt;/b&gt;!"), copy);
  }

  @Test
  void theRequestedPersonaWinsAndAMissingValueRendersEmpty() {
    PeerFixtures.adult(svc, "ada", new JsonObject().put("first_name", "Ada"));
    JsonObject copy = personalize(new JsonObject().put("user_id", "ada").put("persona", "parent"));
    assertEquals("Share 's progress.", copy.getString("body"));
    assertEquals("Your child is on a roll", copy.getString("headline"));
  }

  @Test
  void aPersonaWithoutCopyGetsTheDefaultCopy() {
    JsonObject copy = personalize(new JsonObject().put("user_id", "nobody-known").put("persona", "tutor"));
    assertEquals("Invite a friend", copy.getString("headline"));
    assertEquals("Join me on Buddy &lt;b&gt;challenge&lt;/b&gt;", copy.getString("share_copy"));
  }

  @Test
  void aValueCannotInjectMarkup() {
    PeerFixtures.adult(svc, "mallory", new JsonObject().put("first_name", "<script>alert('x')</script>\"&"));
    JsonObject copy = personalize(new JsonObject().put("user_id", "mallory")
        .put("context", new JsonObject().put("skill", "<img src=x onerror=alert(1)>")));
    assertEquals("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;, challenge a buddy!", copy.getString("headline"));
    assertEquals("You scored  on &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;.", copy.getString("body"));
  }

  @Test
  void anActionWithoutCopyAnswersItsOwnTexts() {
    JsonObject copy = PeerRpc.ok(svc, "personalization", "personalize", new JsonObject().put("user_id", "ada")
        .put("loop", "peer_buddy").put("action", new JsonObject().put("type", "show_share_modal").put("headline", "Hi")));
    assertEquals(new JsonObject().put("headline", "Hi").put("body", "").put("cta", "").put("share_copy", ""), copy);
  }

  @Test
  void aMalformedTemplateInTheParamsIsRefusedNamingItsPath() {
    JsonObject action = new JsonObject().put("type", "show_share_modal").put("copy", new JsonObject()
        .put("default", PeerFixtures.texts("{{context.skill", "b", "c", "d")));
    JsonObject error = PeerRpc.error(svc, "personalization", "personalize", new JsonObject().put("user_id", "ada")
        .put("loop", "peer_buddy").put("action", action));
    assertEquals(-32602, error.getInteger("code"));
    assertEquals("action.copy.default.headline", error.getJsonObject("data").getString("field"));
  }

  @Test
  void theAgentAnswersItsOwnOpenRpcDocument() {
    JsonObject doc = PeerRpc.ok(svc, "personalization", "rpc.discover", new JsonObject());
    assertEquals("personalize", doc.getJsonArray("methods").getJsonObject(0).getString("name"));
  }
}
