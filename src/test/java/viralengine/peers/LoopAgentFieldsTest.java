package viralengine.peers;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin agent validates a loop's incentive and action.copy: each problem is -32602 naming its path. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopAgentFieldsTest {
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
  }

  static JsonObject refused(JsonObject loop) {
    JsonObject response = svc.admin("upsert_loop", new JsonObject().put("loop", loop));
    JsonObject error = response.getJsonObject("error");
    assertEquals(-32602, error == null ? null : error.getInteger("code"), response.encode());
    return error;
  }

  static String field(JsonObject loop) {
    return refused(loop).getJsonObject("data").getString("field");
  }

  static JsonObject withCopy(String persona, String field, String template) {
    JsonObject loop = PeerFixtures.sharingLoop("peer_checked");
    loop.getJsonObject("action").getJsonObject("copy").getJsonObject(persona).put(field, template);
    return loop;
  }

  @Test
  void aLoopWithCopyAndAnIncentiveIsStoredAndReadBackAsWritten() {
    JsonObject loop = PeerFixtures.sharingLoop("peer_checked");
    PeerFixtures.upsert(svc, loop);
    JsonObject stored = svc.admin("get_loop", new JsonObject().put("name", "peer_checked")).getJsonObject("result").getJsonObject("loop");
    assertEquals(loop.getJsonObject("incentive"), stored.getJsonObject("incentive"));
    assertEquals(loop.getJsonObject("action"), stored.getJsonObject("action"));
  }

  @Test
  void aMalformedPlaceholderIsRefusedNamingItsPath() {
    JsonObject error = refused(withCopy("student", "headline", "Hi {{learner.attributes.first_name"));
    assertEquals("loop.action.copy.student.headline", error.getJsonObject("data").getString("field"));
    assertTrue(error.getString("message").contains("malformed placeholder"), error.encode());
  }

  @Test
  void aTemplateTheLibraryCannotParseIsRefusedNamingItsPath() {
    JsonObject error = refused(withCopy("default", "share_copy", "{{#context.a}}open"));
    assertEquals("loop.action.copy.default.share_copy", error.getJsonObject("data").getString("field"));
  }

  @Test
  void aPlaceholderOutsideTheThreeKindsIsRefused() {
    assertEquals("loop.action.copy.parent.body", field(withCopy("parent", "body", "{{learner.birth_year}}")));
    assertEquals("loop.action.copy.default.cta", field(withCopy("default", "cta", "{{loop.name}}")));
  }

  @Test
  void unescapedOutputSectionsAndPartialsAreRefused() {
    assertEquals("loop.action.copy.student.body", field(withCopy("student", "body", "{{{context.skill}}}")));
    assertEquals("loop.action.copy.student.body", field(withCopy("student", "body", "{{&context.skill}}")));
    assertEquals("loop.action.copy.student.body", field(withCopy("student", "body", "{{#context.a}}x{{/context.a}}")));
    assertEquals("loop.action.copy.student.body", field(withCopy("student", "body", "{{>partial}}")));
  }

  @Test
  void copyIsBoundedPerFieldAndPersonasAreKnown() {
    assertEquals("loop.action.copy.student.headline", field(withCopy("student", "headline", "x".repeat(121))));
    assertEquals("loop.action.copy.student.cta", field(withCopy("student", "cta", "x".repeat(41))));
    JsonObject teacher = PeerFixtures.sharingLoop("peer_checked");
    teacher.getJsonObject("action").getJsonObject("copy").put("teacher", PeerFixtures.texts("a", "b", "c", "d"));
    assertEquals("loop.action.copy.teacher", field(teacher));
    JsonObject partial = PeerFixtures.sharingLoop("peer_checked");
    partial.getJsonObject("action").getJsonObject("copy").put("tutor", new JsonObject().put("headline", "a"));
    assertEquals("loop.action.copy.tutor.body", field(partial));
  }

  @Test
  void anUnknownRewardTypeIsRefusedNamingTheRole() {
    JsonObject loop = PeerFixtures.sharingLoop("peer_checked");
    loop.put("incentive", new JsonObject().put("referrer", "class_pass").put("joiner", "gold_coins"));
    assertEquals("loop.incentive.joiner", field(loop));
    loop.put("incentive", new JsonObject().put("sponsor", "xp"));
    assertEquals("loop.incentive.sponsor", field(loop));
    assertEquals(0, svc.count("SELECT count(*) FROM viral_loops WHERE name = 'peer_checked'"));
  }
}
