package viralengine.mcp;

import java.util.List;

/**
 * The MCP protocol versions {@code /mcp} serves. 2026-07-28 is the modern, stateless era (version and
 * capabilities in every request's {@code _meta}); the others are the legacy era, opened by
 * {@code initialize}. See {@code McpEndpoint} for how a request's era is chosen.
 */
final class Versions {
  static final String MODERN = "2026-07-28";
  /** The newest version that has the {@code initialize} handshake: what legacy negotiation falls back to. */
  static final String LATEST_LEGACY = "2025-11-25";
  /** What a request without {@code MCP-Protocol-Version} speaks (2025-11-25 transports, "Protocol Version Header"). */
  static final String WITHOUT_HEADER = "2025-03-26";
  static final List<String> LEGACY = List.of(LATEST_LEGACY, "2025-06-18", WITHOUT_HEADER);
  /** Newest first, as {@code server/discover} and {@code UnsupportedProtocolVersionError} list them. */
  static final List<String> SUPPORTED = List.of(MODERN, LATEST_LEGACY, "2025-06-18", WITHOUT_HEADER);

  /** The era a request is served in, with the version it speaks. */
  record Era(String version) {
    boolean modern() {
      return MODERN.equals(version);
    }
  }

  private Versions() {}
}
