//! Upstream's output-to-log rules: trimmed non-empty lines, 10,000-char truncation, and (with
//! `--log-proxy-hook-json`) JSON objects, possibly spanning lines, merged as `hook_<key>` fields.

use serde_json::{Map, Value};

use crate::sink::{HookLogLevel, HookLogRecord, OutputStream};
use crate::spec::LogProxy;

/// Longest message or marshalled field set logged as is.
pub const MAX_LOG_CHARS: usize = 10_000;
/// Longest JSON value assembled from several lines before giving up and logging them plainly.
pub const MAX_JSON_BYTES: usize = 4 * 1024 * 1024;

/// Turns the lines of one stream into records.
pub(crate) struct LineProxy {
    stream: OutputStream,
    mode: LogProxy,
    /// Lines of an incomplete JSON value.
    pending: Vec<u8>,
}

impl LineProxy {
    pub(crate) fn new(stream: OutputStream, mode: LogProxy) -> Self {
        Self {
            stream,
            mode,
            pending: Vec::new(),
        }
    }

    /// Longest line worth keeping in memory for this mode.
    pub(crate) fn max_line_bytes(&self) -> usize {
        match self.mode {
            LogProxy::PlainLines => MAX_LOG_CHARS + 4,
            LogProxy::JsonObjects => MAX_JSON_BYTES,
        }
    }

    /// One line without its newline; `cut` says the reader dropped the rest of it.
    pub(crate) fn line(&mut self, raw: &[u8], cut: bool, out: &mut impl FnMut(HookLogRecord)) {
        if self.mode == LogProxy::PlainLines || cut {
            self.flush(out);
            self.plain(raw, cut, out);
            return;
        }
        if self.pending.is_empty() {
            let trimmed = raw.trim_ascii();
            if !trimmed.starts_with(b"{") && !trimmed.starts_with(b"[") {
                self.plain(trimmed, cut, out);
                return;
            }
            self.pending.extend_from_slice(trimmed);
        } else {
            self.pending.push(b'\n');
            self.pending.extend_from_slice(raw);
        }
        match serde_json::from_slice::<Value>(&self.pending) {
            Ok(value) => {
                let text = std::mem::take(&mut self.pending);
                self.json(value, &text, out);
            }
            Err(e) if e.is_eof() && self.pending.len() < MAX_JSON_BYTES => {}
            Err(_) => self.flush(out),
        }
    }

    /// End of stream: an incomplete JSON value is logged as plain lines.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(HookLogRecord)) {
        self.flush(out);
    }

    fn flush(&mut self, out: &mut impl FnMut(HookLogRecord)) {
        let pending = std::mem::take(&mut self.pending);
        for line in pending.split(|b| *b == b'\n') {
            self.plain(line, false, out);
        }
    }

    fn plain(&self, raw: &[u8], cut: bool, out: &mut impl FnMut(HookLogRecord)) {
        let text = String::from_utf8_lossy(raw.trim_ascii());
        if text.is_empty() {
            return;
        }
        out(HookLogRecord {
            stream: self.stream,
            level: HookLogLevel::Info,
            message: truncate(&text, cut),
            fields: Map::new(),
        });
    }

    fn json(&self, value: Value, text: &[u8], out: &mut impl FnMut(HookLogRecord)) {
        let Value::Object(mut map) = value else {
            let mut fields = Map::new();
            fields.insert("line".to_string(), value);
            out(HookLogRecord {
                stream: self.stream,
                level: HookLogLevel::Debug,
                message: "json log line not map[string]interface{}".to_string(),
                fields,
            });
            self.plain(text, false, out);
            return;
        };
        let level = match map.get("level") {
            Some(Value::String(s)) => {
                let level = HookLogLevel::parse(s);
                map.remove("level");
                level
            }
            _ => HookLogLevel::Info,
        };
        let message = match map.remove("msg") {
            Some(Value::String(s)) => s,
            _ => "hook result".to_string(),
        };
        map.remove("time");
        let marshalled = Value::Object(map.clone()).to_string();
        let mut fields = Map::new();
        fields.insert("proxyJsonLog".to_string(), Value::Bool(true));
        if marshalled.len() > MAX_LOG_CHARS {
            let mut hook = Map::new();
            hook.insert(
                "truncated".to_string(),
                Value::String(truncate(&marshalled, true)),
            );
            fields.insert("hook".to_string(), Value::Object(hook));
        } else {
            for (k, v) in map {
                fields.insert(format!("hook_{k}"), v);
            }
        }
        out(HookLogRecord {
            stream: self.stream,
            level,
            message,
            fields,
        });
    }
}

/// Cuts to [`MAX_LOG_CHARS`] bytes (on a char boundary) plus `:truncated`.
fn truncate(text: &str, cut: bool) -> String {
    if text.len() <= MAX_LOG_CHARS && !cut {
        return text.to_string();
    }
    let mut end = MAX_LOG_CHARS.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}:truncated", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mode: LogProxy, input: &str) -> Vec<HookLogRecord> {
        let mut proxy = LineProxy::new(OutputStream::Stdout, mode);
        let mut records = Vec::new();
        for line in input.split('\n') {
            proxy.line(line.as_bytes(), false, &mut |r| records.push(r));
        }
        proxy.finish(&mut |r| records.push(r));
        records
    }

    fn messages(records: &[HookLogRecord]) -> Vec<&str> {
        records.iter().map(|r| r.message.as_str()).collect()
    }

    #[test]
    fn plain_lines_are_trimmed_and_empty_lines_skipped() {
        let records = run(LogProxy::PlainLines, "\n  a b  \n\nc d\n");
        assert_eq!(messages(&records), vec!["a b", "c d"]);
        assert!(
            records
                .iter()
                .all(|r| r.fields.is_empty() && r.level == HookLogLevel::Info)
        );
    }

    #[test]
    fn json_is_not_merged_without_the_proxy_flag() {
        let records = run(LogProxy::PlainLines, r#"{"foo": "baz"}"#);
        assert_eq!(messages(&records), vec![r#"{"foo": "baz"}"#]);
        assert!(records[0].fields.is_empty());
    }

    #[test]
    fn a_json_object_becomes_hook_prefixed_fields() {
        let records = run(
            LogProxy::JsonObjects,
            r#"{"level":"warn","msg":"hi","foor":"baar","time":"2024-01-02T15:04:05Z","n":1}"#,
        );
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].level, HookLogLevel::Warn);
        assert_eq!(records[0].message, "hi");
        assert_eq!(
            Value::Object(records[0].fields.clone()),
            json!({"proxyJsonLog": true, "hook_foor": "baar", "hook_n": 1})
        );
    }

    #[test]
    fn a_json_object_without_msg_is_a_hook_result() {
        let records = run(LogProxy::JsonObjects, r#"{"foo": "baz"}"#);
        assert_eq!(messages(&records), vec!["hook result"]);
        assert_eq!(records[0].fields.get("hook_foo"), Some(&json!("baz")));
    }

    #[test]
    fn multi_line_objects_and_plain_text_interleave_like_upstream() {
        let input = "\n{\"a\":\"b\",\"c\":\"d\"}\n{\"b\":\"c\"}\nplain text\n{\n\"a\":\"b\",\n\"c\":\"d\"\n}";
        let records = run(LogProxy::JsonObjects, input);
        assert_eq!(
            messages(&records),
            vec!["hook result", "hook result", "plain text", "hook result"]
        );
        assert_eq!(records[3].fields.get("hook_c"), Some(&json!("d")));
        assert!(records[2].fields.is_empty());
    }

    #[test]
    fn non_object_json_logs_a_debug_record_then_the_raw_text() {
        let records = run(LogProxy::JsonObjects, r#"["a","b","c"]"#);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].level, HookLogLevel::Debug);
        assert_eq!(
            records[0].message,
            "json log line not map[string]interface{}"
        );
        assert_eq!(records[0].fields.get("line"), Some(&json!(["a", "b", "c"])));
        assert_eq!(records[1].message, r#"["a","b","c"]"#);
    }

    #[test]
    fn broken_json_falls_back_to_plain_lines() {
        let records = run(LogProxy::JsonObjects, "{\"a\":\nnot json\nnext");
        assert_eq!(messages(&records), vec!["{\"a\":", "not json", "next"]);
    }

    #[test]
    fn an_unterminated_object_is_logged_plainly_at_the_end() {
        let records = run(LogProxy::JsonObjects, "{\"a\":\n\"b\"");
        assert_eq!(messages(&records), vec!["{\"a\":", "\"b\""]);
    }

    #[test]
    fn long_plain_lines_are_cut_to_10000_chars() {
        let line = "x".repeat(25_000);
        let records = run(LogProxy::PlainLines, &line);
        assert_eq!(records[0].message.len(), MAX_LOG_CHARS + ":truncated".len());
        assert!(records[0].message.ends_with("x:truncated"));
    }

    #[test]
    fn a_line_cut_by_the_reader_is_marked_truncated_even_if_short_enough() {
        let mut proxy = LineProxy::new(OutputStream::Stderr, LogProxy::JsonObjects);
        let mut records = Vec::new();
        proxy.line(b"{\"a\":1", true, &mut |r| records.push(r));
        assert_eq!(messages(&records), vec!["{\"a\":1:truncated"]);
        assert_eq!(records[0].stream, OutputStream::Stderr);
    }

    #[test]
    fn truncation_respects_utf8_boundaries() {
        let line = "é".repeat(6_000);
        let records = run(LogProxy::PlainLines, &line);
        assert!(records[0].message.ends_with(":truncated"));
        assert!(records[0].message.len() <= MAX_LOG_CHARS + ":truncated".len());
    }

    #[test]
    fn huge_json_fields_are_replaced_by_a_truncated_hook_field() {
        let input = format!(r#"{{"foo": "{}"}}"#, "y".repeat(1024 * 1024));
        let records = run(LogProxy::JsonObjects, &input);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].message, "hook result");
        let truncated = records[0].fields["hook"]["truncated"]
            .as_str()
            .unwrap_or("");
        assert!(truncated.ends_with(":truncated"));
        assert_eq!(truncated.len(), MAX_LOG_CHARS + ":truncated".len());
        assert_eq!(records[0].fields["proxyJsonLog"], json!(true));
    }
}
