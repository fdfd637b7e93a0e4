//! Reading a patch file: a stream of JSON values, each an array of operations or one operation
//! object, so `echo '{"op":"add",...}' >> $VALUES_JSON_PATCH_PATH` works several times; an empty
//! file is no patch (upstream's `ValuesPatchFromBytes`).

use serde_json::Value;

use super::PatchFile;

/// Where an operation starts in its file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line.
    pub line: usize,
    /// Column (bytes).
    pub column: usize,
}

/// An operation as written, before the rules are checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RawOperation {
    /// `op` as written (`add`, `remove`, `replace`, ...).
    pub op: String,
    /// `path` as written.
    pub path: String,
    /// `value`, when present (`null` included).
    pub value: Option<Value>,
    /// Where the operation starts.
    pub position: Position,
}

/// A patch file that is not a stream of operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {} column {}: {message}", position.line, position.column)]
pub struct PatchParseError {
    /// The file.
    pub file: PatchFile,
    /// Where the problem is.
    pub position: Position,
    /// What is wrong.
    pub message: String,
}

fn position_at(data: &[u8], offset: usize) -> Position {
    let before = &data[..offset.min(data.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    Position {
        line,
        column: before.len() - line_start + 1,
    }
}

/// Parses every operation of `data` in file order.
pub fn parse_patch_file(
    file: PatchFile,
    data: &[u8],
) -> Result<Vec<RawOperation>, PatchParseError> {
    let mut operations = Vec::new();
    for next in hook_metrics::values_with_offsets::<Value>(data) {
        let (value, at) = next.map_err(|e| PatchParseError {
            file,
            position: Position {
                line: e.line(),
                column: e.column(),
            },
            message: format!("not a JSON stream: {}", without_position(&e)),
        })?;
        let position = position_at(data, at);
        let err = |message: String| PatchParseError {
            file,
            position,
            message,
        };
        match value {
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let op =
                        operation(item, position).map_err(|m| err(format!("item {i}: {m}")))?;
                    operations.push(op);
                }
            }
            item @ Value::Object(_) => operations.push(operation(item, position).map_err(err)?),
            other => {
                return Err(err(format!(
                    "expected an operation or an array of operations, got {}",
                    type_name(&other)
                )));
            }
        }
    }
    Ok(operations)
}

/// serde_json's message without its ` at line L column C` suffix (the position is ours).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn operation(item: Value, position: Position) -> Result<RawOperation, String> {
    let Value::Object(mut map) = item else {
        return Err(format!(
            "an operation must be an object, got {}",
            type_name(&item)
        ));
    };
    let mut text = |key: &str| match map.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!(
            "'{key}' must be a string, got {}",
            type_name(&other)
        )),
        None => Err(format!("'{key}' is missing")),
    };
    let op = text("op")?;
    let path = text("path")?;
    Ok(RawOperation {
        op,
        path,
        value: map.remove("value"),
        position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(text: &str) -> Vec<(String, String, Option<Value>)> {
        parse_patch_file(PatchFile::Values, text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|o| (o.op, o.path, o.value))
            .collect()
    }

    fn error(text: &str) -> String {
        parse_patch_file(PatchFile::ConfigValues, text.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn an_empty_or_blank_file_is_no_patch() {
        assert!(ops("").is_empty());
        assert!(ops(" \n\t\n").is_empty());
    }

    #[test]
    fn arrays_and_single_operations_mix_in_one_stream() {
        let text = r#"[{"op":"add","path":"/m/a","value":1},{"op":"remove","path":"/m/b"}]
{"op":"add","path":"/m/c","value":null}
{"op":"add","path":"/m/d","value":{"x":[1]}}"#;
        assert_eq!(
            ops(text),
            vec![
                ("add".into(), "/m/a".into(), Some(json!(1))),
                ("remove".into(), "/m/b".into(), None),
                ("add".into(), "/m/c".into(), Some(Value::Null)),
                ("add".into(), "/m/d".into(), Some(json!({"x": [1]}))),
            ]
        );
    }

    #[test]
    fn positions_point_at_the_start_of_each_value() {
        let text = "\n  {\"op\":\"add\",\"path\":\"/m/a\",\"value\":1}\n[{\"op\":\"remove\",\"path\":\"/m/a\"}]";
        let parsed = parse_patch_file(PatchFile::Values, text.as_bytes()).unwrap();
        assert_eq!(parsed[0].position, Position { line: 2, column: 3 });
        assert_eq!(parsed[1].position, Position { line: 3, column: 1 });
    }

    #[test]
    fn errors_name_the_file_and_the_position() {
        assert_eq!(
            error("{\"op\":\"add\",\"path\":\"/m/a\",\"value\":1}\n{\"op\": "),
            "$CONFIG_VALUES_JSON_PATCH_PATH line 2 column 7: not a JSON stream: EOF while parsing a value"
        );
        assert_eq!(
            error("\n42"),
            "$CONFIG_VALUES_JSON_PATCH_PATH line 2 column 1: expected an operation or an array of operations, got a number"
        );
        assert_eq!(
            error("[{\"op\":\"add\",\"path\":\"/m\",\"value\":1}, {\"path\":\"/m\"}]"),
            "$CONFIG_VALUES_JSON_PATCH_PATH line 1 column 1: item 1: 'op' is missing"
        );
        assert_eq!(
            error("{\"op\":\"add\",\"path\":7}"),
            "$CONFIG_VALUES_JSON_PATCH_PATH line 1 column 1: 'path' must be a string, got a number"
        );
        assert_eq!(
            error("[1]"),
            "$CONFIG_VALUES_JSON_PATCH_PATH line 1 column 1: item 0: an operation must be an object, got a number"
        );
    }
}
