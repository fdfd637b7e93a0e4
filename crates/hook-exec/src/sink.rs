//! Where hook output lines go: a trait the operator may implement, and a `tracing` default.

use serde_json::{Map, Value};

use crate::spec::LogContext;

/// Which pipe a line came from (`output` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    /// stdout.
    Stdout,
    /// stderr.
    Stderr,
}

impl OutputStream {
    /// The upstream label value.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputStream::Stdout => "stdout",
            OutputStream::Stderr => "stderr",
        }
    }
}

/// Level of a proxied record (from a JSON line's `level`, else info).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookLogLevel {
    /// `trace`.
    Trace,
    /// `debug`.
    Debug,
    /// `info` (plain lines and JSON without a recognised `level`).
    Info,
    /// `warn` / `warning`.
    Warn,
    /// `error`, `fatal`, `panic`.
    Error,
}

impl HookLogLevel {
    /// Upstream's `LogLevelFromStr`; unknown strings are info.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "trace" => HookLogLevel::Trace,
            "debug" => HookLogLevel::Debug,
            "warn" | "warning" => HookLogLevel::Warn,
            "error" | "fatal" | "panic" => HookLogLevel::Error,
            _ => HookLogLevel::Info,
        }
    }
}

/// One log record made from hook output.
#[derive(Debug, Clone, PartialEq)]
pub struct HookLogRecord {
    /// The pipe.
    pub stream: OutputStream,
    /// The level.
    pub level: HookLogLevel,
    /// `msg`.
    pub message: String,
    /// Extra fields: `hook_<key>` for each key of a proxied JSON object plus
    /// `proxyJsonLog: true`, or `hook: {"truncated": ...}` when they were too long. Empty for
    /// plain lines.
    pub fields: Map<String, Value>,
}

/// Receives every record of a run; must not block (it is called from async code).
pub trait OutputSink: Send + Sync + 'static {
    /// Logs one record with the run's labels.
    fn record(&self, ctx: &LogContext, record: HookLogRecord);
}

/// Logs records through `tracing` (target `hook`); the proxied fields, whose names are only
/// known at run time, go into one `hook_fields` JSON field.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

macro_rules! hook_event {
    ($level:expr, $ctx:expr, $rec:expr, $fields:expr) => {
        tracing::event!(
            target: "hook",
            $level,
            hook = %$ctx.hook,
            binding = %$ctx.binding,
            event = %$ctx.event,
            task = %$ctx.task,
            queue = %$ctx.queue,
            output = $rec.stream.as_str(),
            hook_fields = $fields,
            "{}",
            $rec.message
        )
    };
}

impl OutputSink for TracingSink {
    fn record(&self, ctx: &LogContext, record: HookLogRecord) {
        let fields =
            (!record.fields.is_empty()).then(|| Value::Object(record.fields.clone()).to_string());
        let fields = tracing::field::display(fields.as_deref().unwrap_or(""));
        match record.level {
            HookLogLevel::Trace => hook_event!(tracing::Level::TRACE, ctx, record, fields),
            HookLogLevel::Debug => hook_event!(tracing::Level::DEBUG, ctx, record, fields),
            HookLogLevel::Info => hook_event!(tracing::Level::INFO, ctx, record, fields),
            HookLogLevel::Warn => hook_event!(tracing::Level::WARN, ctx, record, fields),
            HookLogLevel::Error => hook_event!(tracing::Level::ERROR, ctx, record, fields),
        }
    }
}
