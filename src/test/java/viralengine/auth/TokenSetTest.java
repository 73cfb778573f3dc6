package viralengine.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TokenSetTest {

  @Test
  void acceptsOnlyTokensWhoseHashIsConfigured() {
    TokenSet tokens = TokenSet.ofHashes(Set.of(TokenSet.sha256Hex("s3cret-token-one"), TokenSet.sha256Hex("s3cret-token-two")));
    assertTrue(tokens.enabled());
    assertTrue(tokens.accepts("s3cret-token-one"));
    assertTrue(tokens.accepts("s3cret-token-two"));
    assertFalse(tokens.accepts("s3cret-token-three"));
    assertFalse(tokens.accepts(""));
    assertFalse(tokens.accepts(null));
  }

  @Test
  void theHashIsTheHexSha256OfTheToken() {
    assertEquals("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", TokenSet.sha256Hex("test"));
  }

  @Test
  void noHashesMeansDisabled() {
    assertFalse(TokenSet.ofHashes(Set.of()).enabled());
  }
}
