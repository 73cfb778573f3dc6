package viralengine.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import net.logstash.logback.argument.StructuredArgument;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * The console's encoder: each event as a readable line, or as JSON through the {@code json} encoder configured in
 * logback.xml, as {@link LogFormat} says at that moment. One appender serves both, so switching form after the
 * configuration is loaded never loses or doubles a line.
 *
 * <p>It also treats one library's INFO lines as DEBUG ({@code demote}): the embedded PostgreSQL (zonky) relays
 * initdb's and the postmaster's output line by line at INFO, some 30 lines that tell a person starting the service
 * nothing, yet help when the embedded server misbehaves. A logger level could only hide them, or show them as INFO.
 */
public final class ConsoleEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
  private static final byte[] NOTHING = new byte[0];
  private Encoder<ILoggingEvent> json;
  private String demote;
  /** Asked per demoted line, since log.level is set after logback starts; taken from the context, not SLF4J, which is still starting. */
  private Logger root;

  /** The encoder of the JSON form (logback.xml: a LogstashEncoder). */
  public void setJson(Encoder<ILoggingEvent> json) {
    this.json = json;
  }

  /** Loggers whose name starts with this write their lines below WARN as DEBUG (logback.xml: {@code io.zonky}). */
  public void setDemote(String prefix) {
    this.demote = prefix;
  }

  @Override
  public void start() {
    if (json == null) {
      addError("ConsoleEncoder needs a <json> encoder");
      return;
    }
    root = ((LoggerContext) getContext()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (!json.isStarted()) {
      json.start();
    }
    super.start();
  }

  @Override
  public void stop() {
    json.stop();
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    if (demoted(event)) {
      if (!root.isDebugEnabled()) {
        return NOTHING;
      }
      event = asDebug(event);
    }
    return LogFormat.text() ? line(event).getBytes(StandardCharsets.UTF_8) : json.encode(event);
  }

  boolean demoted(ILoggingEvent event) {
    return demote != null && event.getLoggerName().startsWith(demote) && !event.getLevel().isGreaterOrEqual(Level.WARN)
        && event.getLevel() != Level.DEBUG;
  }

  /** The same event at DEBUG: logback sets an event's level once, so this is a copy. */
  static ILoggingEvent asDebug(ILoggingEvent event) {
    LoggingEvent copy = new LoggingEvent();
    copy.setLoggerName(event.getLoggerName());
    copy.setLoggerContextRemoteView(event.getLoggerContextVO());
    copy.setThreadName(event.getThreadName());
    copy.setLevel(Level.DEBUG);
    copy.setMessage(event.getMessage());
    copy.setArgumentArray(event.getArgumentArray());
    copy.setInstant(event.getInstant());
    copy.setMDCPropertyMap(event.getMDCPropertyMap());
    if (event.getThrowableProxy() instanceof ThrowableProxy proxy) {
      copy.setThrowableProxy(proxy);
    }
    return copy;
  }

  @Override
  public byte[] footerBytes() {
    return NOTHING;
  }

  /**
   * {@code 13:25:15.615 INFO  [Service] Database: ...}, then the fields a JSON line would carry as their own
   * ({@code decision_id=...}) when the message does not already show them, then any stack trace.
   */
  static String line(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    StringBuilder line = new StringBuilder(96 + message.length())
        .append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp())))
        .append(' ').append(String.format("%-5s", event.getLevel()))
        .append(" [").append(simpleName(event.getLoggerName())).append("] ")
        .append(message);
    Object[] arguments = event.getArgumentArray();
    if (arguments != null) {
      for (Object argument : arguments) {
        if (argument instanceof StructuredArgument) {
          String field = argument.toString();
          if (!message.contains(field)) {
            line.append(' ').append(field);
          }
        }
      }
    }
    line.append(CoreConstants.LINE_SEPARATOR);
    if (event.getThrowableProxy() != null) {
      line.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append(CoreConstants.LINE_SEPARATOR);
    }
    return line.toString();
  }

  private static String simpleName(String logger) {
    return logger.substring(logger.lastIndexOf('.') + 1);
  }
}
