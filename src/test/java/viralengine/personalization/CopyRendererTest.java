package viralengine.personalization;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.peers.PeerFixtures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The in-process renderer the orchestrator may fall back on: persona, default, bounds. */
class CopyRendererTest {
  static final JsonObject ACTION = PeerFixtures.sharingLoop("peer_buddy").getJsonObject("action");

  @Test
  void anActionWithoutCopyRendersNull() {
    assertNull(CopyRenderer.render(new JsonObject().put("type", "x"), "student", null, null, "Loop"));
  }

  @Test
  void aPersonaWithoutItsOwnCopyGetsTheDefault() {
    assertEquals("Invite a friend", CopyRenderer.render(ACTION, "tutor", null, null, "Loop").getString("headline"));
    assertEquals("Invite a friend", CopyRenderer.render(ACTION, null, null, null, "Loop").getString("headline"));
  }

  @Test
  void anOverlongRenderingIsCutToItsBoundOutsideAnEscapedEntity() {
    JsonObject action = new JsonObject().put("copy", new JsonObject().put("default",
        PeerFixtures.texts("{{context.x}}", "", "{{context.x}}", "")));
    JsonObject copy = CopyRenderer.render(action, null, null, new JsonObject().put("x", "a".repeat(38) + "&b"), "L");
    assertEquals("a".repeat(38), copy.getString("cta"), "the entity &amp; would straddle the 40-character bound");
    assertEquals(38 + 6, copy.getString("headline").length());
  }
}
