# syntax=docker/dockerfile:1

# ---- build: Maven on JDK 17 (the bytecode target) ----
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
# Dependencies first, so this layer is reused until pom.xml changes.
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
COPY conf ./conf
RUN mvn -B -q -DskipTests package

# ---- runtime: JRE 25, non-root ----
FROM eclipse-temurin:25-jre
# A fixed uid, so the README can say which owner a bind-mounted /data needs.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
 && mkdir -p /data/spool /data/pg && chown -R app:app /data
WORKDIR /app
COPY --from=build --chown=app:app /build/target/viral-engine.jar /app/viral-engine.jar
COPY --from=build --chown=app:app /build/conf/config.json /app/conf/config.json
USER app:app

ENV PORT=4001
# The outage spool must outlive the container: mount a volume here (fly.toml does).
ENV SPOOL_DIR=/data/spool
# With no DATABASE_URL the service runs its embedded PostgreSQL here (as uid 10001: no user namespace needed).
ENV DATABASE_EMBEDDED_DIR=/data/pg
VOLUME ["/data"]
EXPOSE 4001
# Cluster mode only: Hazelcast's member port and the event bus (cluster.port, cluster.event_bus_port), on the
# private network, never published.
EXPOSE 5701 5702

# Heap at 40% of the container: the JVM needs ~130 MB besides the heap (metaspace, code cache, threads), and
# bench/RESULTS.md measured a 244 MB peak RSS with a 96 MB heap, so a 256 MB machine gets a ~100 MB heap.
# The shell only checks /data and then execs the JVM, so the JVM is PID 1 and receives SIGTERM itself, which
# starts the graceful drain. Checking first matters: with a root-owned bind mount the JVM would fail on the
# spool and then print a confusing error about the CDS archive it cannot write.
# The --add-* flags are what Hazelcast (cluster mode, docs/cluster.md) asks for; without them it warns at start. The
# JAR's manifest carries the same opens for a plain `java -jar`; they cost nothing when cluster mode is off.
# AppCDS: the first run writes a class-data archive to the volume when it exits; later starts map it
# (bench/RESULTS.md: start to ready 1.1-1.4 s with it, 2.1-2.7 s without, JDK 25 on 2 cores). An archive
# from another JAR or JDK is ignored and rewritten. JVM warnings go to stderr so stdout stays JSON lines.
ENTRYPOINT ["sh", "-c", "if [ ! -w /data ]; then echo \"/data is not writable by uid $(id -u): chown -R 10001:10001 the host directory, or mount a volume\" >&2; exit 1; fi; exec \"$0\" \"$@\"", \
  "java", \
  "-XX:MaxRAMPercentage=40.0", \
  "-XX:+UseSerialGC", \
  "-XX:+AutoCreateSharedArchive", \
  "-XX:SharedArchiveFile=/data/viral-engine.jsa", \
  "-Xlog:disable", \
  "-Xlog:all=warning:stderr", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-Dfile.encoding=UTF-8", \
  "--add-modules", "java.se", \
  "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", \
  "--add-opens", "java.base/java.lang=ALL-UNNAMED", \
  "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", \
  "--add-opens", "java.management/sun.management=ALL-UNNAMED", \
  "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED", \
  "-jar", "/app/viral-engine.jar"]
