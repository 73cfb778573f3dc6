package viralengine.config;

import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import viralengine.auth.ApiToken;

/**
 * The whole configuration, typed and immutable. Every key, its default and its bounds live here;
 * {@code conf/config.json} and the README list the same keys.
 */
public record AppConfig(
    Http http,
    Database database,
    Orchestrator orchestrator,
    Breaker breaker,
    long drainTimeoutMs,
    Limits limits,
    DecisionLogSettings decisionLog,
    SpoolSettings spool,
    String logLevel,
    String logFormat,
    Mcp mcp,
    Security security,
    Connections connections,
    List<String> deployVerticles,
    Cluster cluster,
    Experiments experiments,
    Selection selection,
    Report report,
    Erasure erasure,
    Retention retention,
    TrustSafety trustSafety,
    AgentSettings agents) {

  public record Http(String host, int port, int instances) {
    /** {@code host} when it names one interface; {@code local} when HTTP listens on every interface. */
    public String reachableHost(String local) {
      return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? local : host;
    }
  }

  /**
   * Who may call: the accepted API tokens with their names, scopes and rate limits (empty: auth
   * disabled), whether {@code /metrics} is open without a token, and the origins CORS allows (empty: CORS off).
   */
  public record Security(List<ApiToken> tokens, boolean metricsPublic, List<String> corsOrigins) {
    /** The SHA-256 hashes of the accepted tokens. */
    public Set<String> tokenHashes() {
      return tokens.stream().map(ApiToken::sha256).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }
  }

  /**
   * Slow and idle clients: a request head must be complete within {@code headTimeoutMs} of the connection
   * opening, a body within {@code bodyTimeoutMs} of its head; a keep-alive connection gets
   * {@code idleTimeoutMs} for its next request head. At most {@code maxConnections} open per process.
   */
  public record Connections(long headTimeoutMs, long bodyTimeoutMs, long idleTimeoutMs, int maxConnections) {}

  /**
   * Where PostgreSQL is. {@code embedded}: {@code database.url} was unset, so the service runs its own server
   * under {@code embeddedDir}; {@code connectOptions} is null until that server has started ({@link #at}).
   * The options may hold a password, so never log them: {@link #describe} is safe.
   */
  public record Database(PgConnectOptions connectOptions, int poolSize, String embeddedDir, boolean embedded) {
    /** The same settings, pointed at a server that is now running (the embedded one). */
    public Database at(PgConnectOptions server) {
      return new Database(tuned(server), poolSize, embeddedDir, embedded);
    }

    /** {@code embedded} or {@code external}, as health reports it. */
    public String mode() {
      return embedded ? "embedded" : "external";
    }

    public String jdbcUrl() {
      return "jdbc:postgresql://" + connectOptions.getHost() + ":" + connectOptions.getPort() + "/" + connectOptions.getDatabase();
    }

    /** Host, port and database only: safe for logs and error messages. */
    public String describe() {
      if (connectOptions == null) {
        return "embedded PostgreSQL under " + embeddedDir + " (not started)";
      }
      return connectOptions.getHost() + ":" + connectOptions.getPort() + "/" + connectOptions.getDatabase();
    }
  }

  public record Orchestrator(
      long timeoutMs,
      long testDelayMs,
      long testSlowCalls,
      long loopsRefreshMs,
      int idempotencyCacheSize,
      long idempotencyTtlMs,
      int learnerCacheSize,
      long learnerCacheTtlMs,
      int warmupCalls,
      long warmupMs) {}

  /**
   * Measure and learn: the share of learners held out of every loop, and the salt of every sticky hash (the
   * holdout and the variants). Changing the salt reassigns everyone.
   */
  public record Experiments(int holdoutPercent, String salt) {}

  /**
   * How the decision chooses among eligible loops: {@code priority}, {@code thompson} or {@code random}. The
   * bandit's posteriors are refreshed every {@code refreshMs} from the last {@code window} selections of each arm;
   * {@code seed}, when set, makes its draws repeatable (tests and the simulator); null seeds from the system.
   * {@code holdbackPercent} of the learners (sticky salted hash, independent of the holdout) are decided by
   * {@code priority} whatever the strategy, so that the strategy can be compared with the rule it replaces. The
   * bandit's reward is a {@code reward} outcome within {@code rewardWindowHours} of the selection.
   */
  /**
   * forget_learner: {@code secret} keys the tombstone hash that replaces an erased learner's user_id. Null when
   * {@code erasure.secret} is unset: the service then generates one per deployment and keeps it in PostgreSQL
   * (docs/data-lifecycle.md). Never logged; {@link #toString()} hides it.
   */
  public record Erasure(String secret) {
    public static final int MIN_SECRET_LENGTH = 32;
    public static final int MAX_SECRET_LENGTH = 1024;

    @Override
    public String toString() {
      return "Erasure[secret=" + (secret == null ? "generated" : "configured") + "]";
    }
  }

  /**
   * Retention of the log tables' day partitions: a day wholly older than {@code days} is dropped; 0 keeps every day.
   * Never under {@link #MIN_DAYS}: a node's spool may still hold a recent day's decisions (docs/data-lifecycle.md).
   */
  public record Retention(int days) {
    public static final int MIN_DAYS = 7;
    public static final int MAX_DAYS = 36_500;
  }

  public record Selection(String strategy, long refreshMs, Long seed, int window, int holdbackPercent, String reward,
      int rewardWindowHours) {}

  public static final List<String> REWARDS = List.of("invite_sent", "joined", "fvm_reached");

  /**
   * The built-in trust_safety agent's limits: {@code invite_rate} blocks past {@code maxInvitesPerDay} invite_sent
   * outcomes in 24 hours or {@code maxSelectionsPerHour} selections in an hour; an abuse report blocks the reported
   * loop for its learner for {@code reportBlockDays}.
   */
  public record TrustSafety(int maxInvitesPerDay, int maxSelectionsPerHour, int reportBlockDays) {}

  public static final List<String> STRATEGIES = List.of("priority", "thompson", "random", "recovering");
  static final int MAX_SALT_LENGTH = 128;

  /**
   * loop_report's rollups and the gauges over them: the inbox is folded in every {@code refreshMs}, at most
   * {@code refreshBatch} rows per transaction; {@code viral_k_factor} and {@code viral_holdout_lift} are computed
   * every {@code gaugeIntervalMs} over the last {@code gaugeWindowDays} days; {@code kAlertThreshold} is published as
   * {@code viral_k_factor_alert_threshold} for the alert rule to compare with. {@code sequentialTuningN} is the
   * number of learners at which the always-valid intervals are narrowest (report/Sequential). The guardrail job
   * checks every loop's guardrails every {@code guardrailIntervalMs} over the last {@code guardrailWindowHours}
   * (since the loop's last change), once it has at least {@code guardrailMinLearners} learners.
   */
  public record Report(long refreshMs, int refreshBatch, long gaugeIntervalMs, int gaugeWindowDays,
      double kAlertThreshold, long sequentialTuningN, long guardrailIntervalMs, int guardrailWindowHours,
      int guardrailMinLearners) {}

  /**
   * What opens the circuit: at least {@code failureRatePercent} of the calls that ended in the last {@code windowMs}
   * failed or took longer than the SLA, once at least {@code minimumCalls} ended in that window. Open, it answers in
   * the orchestrator's place for {@code resetTimeoutMs}, then lets one trial call through; once that succeeds it
   * closes on probation, where the next {@code trialCalls} calls are judged as a window of their own.
   */
  public record Breaker(int failureRatePercent, int minimumCalls, long windowMs, long resetTimeoutMs, int trialCalls) {}

  /**
   * Group commit: flush at {@code maxBatch} rows or after {@code maxDelayMs}; at most {@code queueCapacity} unwritten rows.
   *
   * @param maxConcurrentFlushes group commits in flight at once. Few, so that under load rows gather into bigger
   *     batches (the per-statement and per-commit cost is most of PostgreSQL's cost per row). The decision log has
   *     two connections per flush of its own.
   * @param overlapAfterMs a flush starts beside one in flight only for a full batch, or once that one has been out this
   *     long: while PostgreSQL keeps up, rows gather behind one flush; a flush held up (a guarded row waiting on a
   *     lock) does not hold up the rows behind it for longer than this
   */
  public record DecisionLogSettings(int maxBatch, long maxDelayMs, int queueCapacity, int maxConcurrentFlushes,
      long overlapAfterMs) {}

  /** Where decisions go while PostgreSQL is unreachable or slower than {@code flushTimeoutMs}. */
  public record SpoolSettings(String dir, long flushTimeoutMs) {}

  /** {@code targetLatencyMs}: answers slower than this shrink the in-flight bound; 0 keeps it fixed. */
  public record Limits(int maxBodyBytes, int maxBatch, int maxConcurrentRequests, int targetLatencyMs, int maxContextBytes,
      int maxContextDepth, int maxJsonDepth, int maxStringLength, long shedDelayMs) {}

  /**
   * DNS-rebinding protection for {@code /mcp}: the {@code Origin} and {@code Host} values accepted, besides
   * the configured {@code http.host}. An entry without a port matches any port.
   */
  public record Mcp(List<String> allowedOrigins, List<String> allowedHosts) {}

  /** A host name, an IPv4 address or a bracketed IPv6 address, with an optional port. */
  static final Pattern HOST_ENTRY = Pattern.compile(
      "(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");
  /** An origin as browsers send it: {@code http(s)://host[:port]}, no path. */
  static final Pattern ORIGIN_ENTRY = Pattern.compile("(?i:https?)://" + HOST_ENTRY.pattern());
  public static final List<String> DEFAULT_MCP_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");
  public static final List<String> DEFAULT_MCP_ORIGINS = List.of("http://localhost", "https://localhost",
      "http://127.0.0.1", "https://127.0.0.1", "http://[::1]", "https://[::1]");

  /** Where the embedded PostgreSQL keeps its data and binaries when {@code database.url} is unset. */
  public static final String DEFAULT_EMBEDDED_DIR = "data/pg";
  /** A fully qualified Java class name, as {@code deploy.verticles} lists them. */
  static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

  private static final Map<String, Set<String>> KNOWN_KEYS = Map.ofEntries(
      Map.entry("http", Set.of("host", "port", "instances", "cors_origins", "request_head_timeout_ms",
          "request_body_timeout_ms", "idle_timeout_ms", "max_connections")),
      Map.entry("database", Set.of("url", "pool_size", "embedded_dir")),
      Map.entry("orchestrator", Set.of("timeout_ms", "test_delay_ms", "test_slow_calls", "loops_refresh_ms",
          "idempotency_cache_size", "idempotency_ttl_ms", "learner_cache_size", "learner_cache_ttl_ms", "warmup_calls",
          "warmup_ms")),
      Map.entry("circuit_breaker", Set.of("failure_rate_threshold", "minimum_calls", "window_ms", "reset_timeout_ms",
          "trial_calls")),
      Map.entry("shutdown", Set.of("drain_timeout_ms")),
      Map.entry("limits", Set.of("max_body_bytes", "max_batch", "max_concurrent_requests", "target_latency_ms", "max_context_bytes",
          "max_context_depth", "max_json_depth", "max_string_length", "shed_delay_ms")),
      Map.entry("decision_log", Set.of("max_batch", "max_delay_ms", "queue_capacity", "max_concurrent_flushes",
          "overlap_after_ms")),
      Map.entry("spool", Set.of("dir", "flush_timeout_ms")),
      Map.entry("log", Set.of("level", "format")),
      Map.entry("mcp", Set.of("allowed_origins", "allowed_hosts")),
      Map.entry("auth", Set.of("tokens", "token_sha256", "api_tokens", "rate_limit_per_second", "rate_limit_burst")),
      Map.entry("metrics", Set.of("public")),
      Map.entry("deploy", Set.of("verticles")),
      Map.entry("cluster", Cluster.KEYS),
      Map.entry("experiments", Set.of("holdout_percent", "salt")),
      Map.entry("selection", Set.of("strategy", "refresh_ms", "seed", "window", "holdback_percent", "reward",
          "reward_window_hours")),
      Map.entry("report", Set.of("refresh_ms", "refresh_batch", "gauge_interval_ms", "gauge_window_days",
          "k_alert_threshold", "sequential_tuning_n", "guardrail_interval_ms", "guardrail_window_hours",
          "guardrail_min_learners")),
      Map.entry("erasure", Set.of("secret")),
      Map.entry("retention", Set.of("days")),
      Map.entry("trust_safety", Set.of("max_invites_per_day", "max_selections_per_hour", "report_block_days")),
      Map.entry("agents", AgentSettings.SECTION_KEYS));
  /** Plain tokens come from the environment only; shorter ones are too easy to guess. */
  static final int MIN_TOKEN_LENGTH = 16;
  private static final Pattern CORS_ORIGIN = Pattern.compile("https?://[A-Za-z0-9.\\-]+(:[0-9]{1,5})?");
  private static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

  /** This configuration with another database (the embedded server, once it runs). */
  public AppConfig withDatabase(Database other) {
    return new AppConfig(http, other, orchestrator, breaker, drainTimeoutMs, limits, decisionLog, spool, logLevel, logFormat, mcp,
        security, connections, deployVerticles, cluster, experiments, selection, report, erasure, retention, trustSafety, agents);
  }

  /** The sections of {@code conf/config.json}, sorted. */
  public static List<String> sections() {
    return KNOWN_KEYS.keySet().stream().sorted().toList();
  }

  /** Every dotted key this service reads, sorted. */
  public static List<String> keys() {
    return KNOWN_KEYS.entrySet().stream()
        .flatMap(section -> section.getValue().stream().map(key -> section.getKey() + "." + key))
        .sorted()
        .toList();
  }

  /** Validates merged config sources; throws {@link ConfigException} naming the first bad key. */
  public static AppConfig from(JsonObject merged) {
    rejectUnknownKeys(merged);
    Settings s = new Settings(merged);
    return new AppConfig(
        new Http(
            s.string("http.host", "0.0.0.0"),
            s.integer("http.port", 4001, 0, 65535, "PORT"),
            instances(s.integer("http.instances", 0, 0, 256))),
        database(s),
        new Orchestrator(
            s.number("orchestrator.timeout_ms", 150, 1, 60_000),
            s.number("orchestrator.test_delay_ms", 0, 0, 60_000),
            s.number("orchestrator.test_slow_calls", 0, 0, Long.MAX_VALUE),
            s.number("orchestrator.loops_refresh_ms", 30_000, 100, 86_400_000),
            s.integer("orchestrator.idempotency_cache_size", 10_000, 0, 10_000_000),
            s.number("orchestrator.idempotency_ttl_ms", 600_000, 1_000, 86_400_000),
            s.integer("orchestrator.learner_cache_size", 30_000, 0, 10_000_000),
            s.number("orchestrator.learner_cache_ttl_ms", 60_000, 1_000, 86_400_000),
            s.integer("orchestrator.warmup_calls", 3_000, 0, 1_000_000),
            s.number("orchestrator.warmup_ms", 3_000, 0, 600_000)),
        new Breaker(
            s.integer("circuit_breaker.failure_rate_threshold", 50, 1, 100),
            s.integer("circuit_breaker.minimum_calls", 20, 1, 100_000),
            s.number("circuit_breaker.window_ms", 1_000, 100, 600_000),
            s.number("circuit_breaker.reset_timeout_ms", 5_000, 10, 86_400_000),
            s.integer("circuit_breaker.trial_calls", 5, 1, 10_000)),
        s.number("shutdown.drain_timeout_ms", 30_000, 0, 600_000),
        new Limits(
            s.integer("limits.max_body_bytes", 1_048_576, 256, 64 * 1_048_576),
            s.integer("limits.max_batch", 100, 1, 10_000),
            s.integer("limits.max_concurrent_requests", 100, 1, 1_000_000),
            s.integer("limits.target_latency_ms", 50, 0, 60_000),
            s.integer("limits.max_context_bytes", 16_384, 2, 1_048_576),
            s.integer("limits.max_context_depth", 8, 1, 64),
            s.integer("limits.max_json_depth", 32, 4, 1_000),
            s.integer("limits.max_string_length", 65_536, 256, 64 * 1_048_576),
            s.number("limits.shed_delay_ms", 100, 0, 10_000)),
        new DecisionLogSettings(
            s.integer("decision_log.max_batch", 64, 1, 10_000),
            s.number("decision_log.max_delay_ms", 2, 0, 10_000),
            s.integer("decision_log.queue_capacity", 10_000, 1, 10_000_000),
            s.integer("decision_log.max_concurrent_flushes", 2, 1, 256),
            s.number("decision_log.overlap_after_ms", 10, 0, 60_000)),
        new SpoolSettings(
            s.string("spool.dir", "spool"),
            s.number("spool.flush_timeout_ms", 100, 1, 600_000)),
        logLevel(s.string("log.level", "INFO")),
        logFormat(s.string("log.format", viralengine.logs.LogFormat.AUTO)),
        new Mcp(
            s.strings("mcp.allowed_origins", DEFAULT_MCP_ORIGINS, 64, true, ORIGIN_ENTRY, "an origin such as http://localhost:4001"),
            s.strings("mcp.allowed_hosts", DEFAULT_MCP_HOSTS, 64, false, HOST_ENTRY, "a host such as localhost or api.example.com:443")),
        new Security(
            Tokens.from(s),
            s.bool("metrics.public", false),
            s.strings("http.cors_origins", List.of(), 64, true, CORS_ORIGIN, "an origin such as https://app.example.com")),
        connections(s),
        s.strings("deploy.verticles", List.of(), 64, true, CLASS_NAME, "a fully qualified class name such as com.example.MyVerticle"),
        Cluster.from(s),
        experiments(s),
        selection(s),
        new Report(
            s.number("report.refresh_ms", 5_000, 100, 3_600_000),
            s.integer("report.refresh_batch", 50_000, 100, 10_000_000),
            s.number("report.gauge_interval_ms", 60_000, 1_000, 86_400_000),
            s.integer("report.gauge_window_days", 7, 1, 366),
            s.decimal("report.k_alert_threshold", 0.1, 0, 100),
            s.number("report.sequential_tuning_n", 5_000, 100, 100_000_000),
            s.number("report.guardrail_interval_ms", 60_000, 100, 86_400_000),
            s.integer("report.guardrail_window_hours", 72, 1, 24 * 90),
            s.integer("report.guardrail_min_learners", 100, 1, 100_000_000)),
        erasure(s),
        retention(s),
        new TrustSafety(
            s.integer("trust_safety.max_invites_per_day", 10, 1, 1_000_000),
            s.integer("trust_safety.max_selections_per_hour", 10, 1, 1_000_000),
            s.integer("trust_safety.report_block_days", 30, 1, 3_650)),
        AgentSettings.from(s));
  }

  /** A configured secret must be long enough not to be guessed; the messages never echo it. */
  private static Erasure erasure(Settings s) {
    Object raw = s.raw("erasure.secret");
    if (raw == null) {
      return new Erasure(null);
    }
    if (!(raw instanceof String secret) || secret.length() < Erasure.MIN_SECRET_LENGTH
        || secret.length() > Erasure.MAX_SECRET_LENGTH) {
      throw new ConfigException("erasure.secret", "must be a string of " + Erasure.MIN_SECRET_LENGTH + " to "
          + Erasure.MAX_SECRET_LENGTH + " characters (for example: openssl rand -hex 32)");
    }
    return new Erasure(secret);
  }

  /** 0 (keep forever) or a number of days no node's spool can still be behind by. */
  private static Retention retention(Settings s) {
    int days = s.integer("retention.days", 400, 0, Retention.MAX_DAYS);
    if (days > 0 && days < Retention.MIN_DAYS) {
      throw new ConfigException("retention.days", "must be 0 (keep every day) or " + Retention.MIN_DAYS + " to "
          + Retention.MAX_DAYS + " days, got " + days);
    }
    return new Retention(days);
  }

  private static Experiments experiments(Settings s) {
    String salt = s.string("experiments.salt", "viral-engine");
    if (salt.length() > MAX_SALT_LENGTH) {
      throw new ConfigException("experiments.salt", "must be at most " + MAX_SALT_LENGTH + " characters");
    }
    return new Experiments(s.integer("experiments.holdout_percent", 5, 0, 100), salt);
  }

  private static Selection selection(Settings s) {
    String strategy = s.string("selection.strategy", "priority");
    if (!STRATEGIES.contains(strategy)) {
      throw new ConfigException("selection.strategy", "must be one of " + STRATEGIES + ", got '" + strategy + "'");
    }
    Long seed = s.raw("selection.seed") == null ? null : s.number("selection.seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
    String reward = s.string("selection.reward", "invite_sent");
    if (!REWARDS.contains(reward)) {
      throw new ConfigException("selection.reward", "must be one of " + REWARDS + ", got '" + reward + "'");
    }
    return new Selection(strategy, s.number("selection.refresh_ms", 5_000, 10, 3_600_000), seed,
        s.integer("selection.window", 1_000, 100, 1_000_000), s.integer("selection.holdback_percent", 0, 0, 100),
        reward, s.integer("selection.reward_window_hours", 24, 1, 24 * 90));
  }

  /** {@code 0} (the default) means one instance per event loop: 2 × cores, as Vert.x sizes its event-loop pool. */
  private static int instances(int configured) {
    return configured == 0 ? VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE : configured;
  }

  /** No {@code database.url} (nor {@code DATABASE_URL}) means the embedded PostgreSQL under {@code database.embedded_dir}. */
  private static Database database(Settings s) {
    int poolSize = s.integer("database.pool_size", 8, 1, 256);
    String embeddedDir = s.string("database.embedded_dir", DEFAULT_EMBEDDED_DIR);
    if (s.raw("database.url", "DATABASE_URL") == null) {
      return new Database(null, poolSize, embeddedDir, true);
    }
    return new Database(connectOptions(s.string("database.url", null, "DATABASE_URL")), poolSize, embeddedDir, false);
  }

  /** Descriptors kept back from the connection bound: the database pool, the spool, logs, the JVM's own. */
  static final int RESERVED_DESCRIPTORS = 256;

  private static Connections connections(Settings s) {
    long descriptors = descriptorLimit();
    int ceiling = (int) Math.min(1_000_000, Math.max(16, descriptors - RESERVED_DESCRIPTORS));
    int auto = Math.max(16, (int) Math.min(1_000_000, descriptors * 8 / 10 - RESERVED_DESCRIPTORS));
    int max = s.integer("http.max_connections", 0, 0, ceiling);
    return new Connections(
        s.number("http.request_head_timeout_ms", 10_000, 100, 600_000),
        s.number("http.request_body_timeout_ms", 10_000, 100, 600_000),
        s.number("http.idle_timeout_ms", 60_000, 100, 3_600_000),
        max == 0 ? auto : max);
  }

  /** The process's open-file limit; 4096 where the JVM cannot tell (not a Unix). */
  static long descriptorLimit() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return 4096;
  }

  private static String logLevel(String level) {
    String upper = level.toUpperCase(java.util.Locale.ROOT);
    if (!LOG_LEVELS.contains(upper)) {
      throw new ConfigException("log.level", "must be one of " + new java.util.TreeSet<>(LOG_LEVELS) + ", got '" + level + "'");
    }
    return upper;
  }

  /** Keys an earlier version read, and what replaced them: set anywhere, they stop the start with that advice. */
  private static final Map<String, String> REMOVED_KEYS = Map.of(
      "circuit_breaker.max_failures", "the circuit now opens on a failure rate: set circuit_breaker.failure_rate_threshold"
          + " and circuit_breaker.minimum_calls instead",
      "circuit_breaker.failure_window_ms", "the failure rate is judged over circuit_breaker.window_ms instead");

  private static String logFormat(String format) {
    if (!viralengine.logs.LogFormat.VALUES.contains(format)) {
      throw new ConfigException("log.format", "must be one of " + new java.util.TreeSet<>(viralengine.logs.LogFormat.VALUES)
          + ", got '" + format + "'");
    }
    return format;
  }

  private static void rejectUnknownKeys(JsonObject merged) {
    for (Map.Entry<String, String> removed : REMOVED_KEYS.entrySet()) {
      String[] parts = removed.getKey().split("\\.");
      JsonObject section = merged.getValue(parts[0]) instanceof JsonObject values ? values : new JsonObject();
      if (section.containsKey(parts[1]) || merged.containsKey(Settings.envName(removed.getKey()))) {
        throw new ConfigException(removed.getKey(), "is no longer read: " + removed.getValue());
      }
    }
    for (Map.Entry<String, Object> section : merged) {
      if (!(section.getValue() instanceof JsonObject values)) {
        continue; // flat entries are environment variables and system properties
      }
      Set<String> known = KNOWN_KEYS.get(section.getKey());
      if (known == null) {
        throw new ConfigException(section.getKey(), "unknown section (known: " + KNOWN_KEYS.keySet() + ")");
      }
      if (section.getKey().equals("agents")) {
        AgentSettings.rejectUnknownKeys(values);
      }
      for (String key : values.fieldNames()) {
        if (!known.contains(key)) {
          throw new ConfigException(section.getKey() + "." + key, "unknown key (known: " + known + ")");
        }
      }
    }
  }

  private static PgConnectOptions connectOptions(String url) {
    if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
      throw new ConfigException("database.url", "must be a postgresql:// URL");
    }
    try {
      return tuned(PgConnectOptions.fromUri(url));
    } catch (RuntimeException e) {
      // The URL may carry a password: name the key, never echo the value.
      throw new ConfigException("database.url", "is not a valid postgresql:// URL");
    }
  }

  private static PgConnectOptions tuned(PgConnectOptions options) {
    return options.setCachePreparedStatements(true).setPipeliningLimit(256);
  }
}
