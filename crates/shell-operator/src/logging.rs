//! Log output: upstream's JSON lines (`{"level","logger","msg",<fields sorted>,"time"}`), or
//! human-readable text with or without colours, with an optional timestamp.

use std::fmt;
use std::io::Write;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::layer::{Layered, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

use crate::config::{LogConfig, LogFormat, LogLevel};

/// Changes the log level of the installed subscriber at run time (`config set log.level`).
#[derive(Clone)]
pub struct LevelHandle(reload::Handle<EnvFilter, Registry>);

impl std::fmt::Debug for LevelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LevelHandle").finish_non_exhaustive()
    }
}

impl LevelHandle {
    /// Sets the level by upstream name (`trace` ... `fatal`; unknown names mean `info`).
    pub fn set(&self, level: &str) -> Result<(), String> {
        let directive = LogLevel::parse(level).as_str();
        self.0
            .reload(EnvFilter::new(directive))
            .map_err(|e| format!("set log level: {e}"))
    }
}

/// Why the logger could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("install logger")]
pub struct InitError(#[source] tracing_subscriber::util::TryInitError);

/// Installs the global subscriber for `config`; the returned handle changes its level later.
/// Fails only if a subscriber is already installed.
pub fn init(config: &LogConfig) -> Result<LevelHandle, InitError> {
    use tracing_subscriber::util::SubscriberInitExt;
    let (filter, handle) = reload::Layer::new(EnvFilter::new(config.level.as_str()));
    let output: Box<
        dyn Layer<Layered<reload::Layer<EnvFilter, Registry>, Registry>> + Send + Sync,
    > = match config.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stdout)
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines {
                no_time: config.no_time,
            })
            .boxed(),
        LogFormat::Text | LogFormat::Color => {
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stdout)
                .with_ansi(config.format == LogFormat::Color);
            if config.no_time {
                layer.without_time().boxed()
            } else {
                layer.boxed()
            }
        }
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()
        .map_err(InitError)?;
    Ok(LevelHandle(handle))
}

/// Upstream's JSON line shape. Field names from enclosing spans are included; event fields win.
#[derive(Debug, Clone, Copy)]
pub struct JsonLines {
    /// Leave out `time`.
    pub no_time: bool,
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let ext = span.extensions();
                if let Some(formatted) = ext.get::<FormattedFields<N>>()
                    && let Ok(Value::Object(map)) = serde_json::from_str::<Value>(formatted)
                {
                    fields.extend(map);
                }
            }
        }
        let mut visitor = JsonVisitor(&mut fields);
        event.record(&mut visitor);
        let line = render_json_line(
            *event.metadata().level(),
            event.metadata().target(),
            fields,
            (!self.no_time).then(chrono::Utc::now),
        );
        writeln!(writer, "{line}")
    }
}

/// Builds one JSON log line: `level`, `logger`, `msg`, the other fields sorted, then `time`.
pub fn render_json_line(
    level: Level,
    target: &str,
    mut fields: Map<String, Value>,
    time: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let msg = fields
        .remove("message")
        .or_else(|| fields.remove("msg"))
        .unwrap_or(Value::String(String::new()));
    // hook-exec's tracing sink carries the `hook_<key>`/`proxyJsonLog` fields of a proxied JSON
    // line as one JSON string, since tracing field names are static; spread them out again.
    if let Some(Value::String(extra)) = fields.remove("hook_fields")
        && let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(&extra)
    {
        fields.extend(extra);
    }
    let level = level.as_str().to_ascii_lowercase();
    let mut out = Map::new();
    out.insert("level".into(), Value::String(level));
    out.insert("logger".into(), Value::String(target.replace("::", ".")));
    out.insert("msg".into(), msg);
    let mut rest: Vec<(String, Value)> = fields.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    out.extend(rest);
    if let Some(t) = time {
        out.insert(
            "time".into(),
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    Value::Object(out).to_string()
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.into()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::String(value.to_string()));
    }
}

/// Writes `line` to stdout and flushes, for output that must not interleave with buffered logs.
pub fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_put_level_logger_and_msg_first_and_sort_the_rest() {
        let mut fields = Map::new();
        fields.insert("message".into(), "hello".into());
        fields.insert("queue".into(), "main".into());
        fields.insert("hook".into(), "a.sh".into());
        let t = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let line = render_json_line(Level::INFO, "hook_engine::engine", fields, Some(t));
        assert_eq!(
            line,
            r#"{"level":"info","logger":"hook_engine.engine","msg":"hello","hook":"a.sh","queue":"main","time":"2024-01-01T00:00:00Z"}"#
        );
    }

    #[test]
    fn proxied_hook_fields_are_spread_into_the_record() {
        let mut fields = Map::new();
        fields.insert("message".into(), "boom".into());
        fields.insert(
            "hook_fields".into(),
            r#"{"hook_x":1,"proxyJsonLog":true}"#.into(),
        );
        let line = render_json_line(Level::ERROR, "hook", fields, None);
        assert_eq!(
            line,
            r#"{"level":"error","logger":"hook","msg":"boom","hook_x":1,"proxyJsonLog":true}"#
        );
        let mut plain = Map::new();
        plain.insert("hook_fields".into(), "".into());
        let line = render_json_line(Level::INFO, "hook", plain, None);
        assert_eq!(line, r#"{"level":"info","logger":"hook","msg":""}"#);
    }

    #[test]
    fn no_time_leaves_the_time_field_out() {
        let line = render_json_line(Level::WARN, "x", Map::new(), None);
        assert_eq!(line, r#"{"level":"warn","logger":"x","msg":""}"#);
    }
}
