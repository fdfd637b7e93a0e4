//! Reading `$METRICS_PATH`: a stream of JSON objects, one per line or concatenated.

use std::path::Path;

use crate::error::ParseError;
use crate::operation::{MetricOperation, RawOperation};

/// 1-based line number of byte `offset` in `data`.
fn line_at(data: &[u8], offset: usize) -> usize {
    1 + data[..offset.min(data.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Each value of the JSON stream `data` (values one per line or concatenated, as hooks write
/// `$METRICS_PATH` and addon-operator's patch files) with the byte offset where it starts, leading
/// whitespace skipped; the iteration ends after the first error.
pub fn values_with_offsets<'a, T>(
    data: &'a [u8],
) -> impl Iterator<Item = Result<(T, usize), serde_json::Error>> + 'a
where
    T: serde::de::DeserializeOwned + 'a,
{
    let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<T>();
    let mut start = 0;
    std::iter::from_fn(move || {
        let next = stream.next()?;
        Some(next.map(|value| {
            let end = stream.byte_offset();
            let skipped = data[start..end]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            let at = start + skipped;
            start = end;
            (value, at)
        }))
    })
}

/// Parses and validates every operation; the first bad object fails the whole file.
pub fn parse_operations(data: &[u8]) -> Result<Vec<MetricOperation>, ParseError> {
    let mut ops = Vec::new();
    for next in values_with_offsets::<RawOperation>(data) {
        let (raw, at) = next.map_err(|source| ParseError::Json {
            line: source.line(),
            source,
        })?;
        let line = line_at(data, at);
        ops.push(
            raw.validate(line)
                .map_err(|problem| ParseError::Operation { line, problem })?,
        );
    }
    Ok(ops)
}

/// Reads and parses a metrics file; an empty file gives no operations.
pub async fn read_metrics_file(path: &Path) -> Result<Vec<MetricOperation>, ParseError> {
    let data = tokio::fs::read(path)
        .await
        .map_err(|source| ParseError::Read {
            path: path.to_owned(),
            source,
        })?;
    parse_operations(&data)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;
    use crate::error::OperationProblem;
    use crate::operation::{SeriesOperation, ValueOperation};

    fn single(json: &str) -> SeriesOperation {
        match parse_operations(json.as_bytes()).unwrap().pop() {
            Some(MetricOperation::Series { series, .. }) => series,
            other => panic!("expected a series operation, got {other:?}"),
        }
    }

    fn problem(json: &str) -> (usize, OperationProblem) {
        match parse_operations(json.as_bytes()) {
            Err(ParseError::Operation { line, problem }) => (line, problem),
            other => panic!("expected an operation error, got {other:?}"),
        }
    }

    #[test]
    fn set_shorthand_becomes_a_gauge_set() {
        let op = single(r#"{"name":"m","set":33,"labels":{"a":"b"}}"#);
        assert_eq!(op.op, ValueOperation::Set(33.0));
        assert_eq!(op.labels.get("a").map(String::as_str), Some("b"));
        assert_eq!(op.group, None);
    }

    #[test]
    fn add_shorthand_becomes_a_counter_add() {
        assert_eq!(
            single(r#"{"name":"m","add":1}"#).op,
            ValueOperation::Add(1.0)
        );
    }

    #[test]
    fn action_forms_are_parsed_with_value_buckets_and_group() {
        assert_eq!(
            single(r#"{"name":"m","action":"set","value":2}"#).op,
            ValueOperation::Set(2.0)
        );
        assert_eq!(
            single(r#"{"name":"m","action":"add","value":2}"#).op,
            ValueOperation::Add(2.0)
        );
        let observed = single(r#"{"name":"m","action":"observe","value":42,"buckets":[1,2,5]}"#);
        assert_eq!(
            observed.op,
            ValueOperation::Observe {
                value: 42.0,
                buckets: vec![1.0, 2.0, 5.0]
            }
        );
        let grouped = single(r#"{"group":"g","name":"m","action":"add","value":1}"#);
        assert_eq!(grouped.group.as_deref(), Some("g"));
    }

    #[test]
    fn expire_needs_only_a_group() {
        let ops = parse_operations(br#"{"group":"g1","action":"expire"}"#).unwrap();
        assert_eq!(
            ops,
            vec![MetricOperation::Expire {
                line: 1,
                group: "g1".into()
            }]
        );
        assert_eq!(
            problem(r#"{"action":"expire"}"#),
            (1, OperationProblem::ExpireWithoutGroup)
        );
    }

    #[test]
    fn concatenated_objects_and_blank_lines_are_accepted() {
        let data =
            b"{\"name\":\"a\",\"set\":1}{\"name\":\"b\",\"set\":2}\n\n{\"name\":\"c\",\"add\":3}\n";
        let ops = parse_operations(data).unwrap();
        let lines: Vec<usize> = ops
            .iter()
            .map(|op| match op {
                MetricOperation::Series { line, .. } | MetricOperation::Expire { line, .. } => {
                    *line
                }
            })
            .collect();
        assert_eq!(lines, vec![1, 1, 3]);
    }

    #[test]
    fn empty_file_has_no_operations() {
        assert!(parse_operations(b"").unwrap().is_empty());
        assert!(parse_operations(b"\n  \n").unwrap().is_empty());
    }

    #[test]
    fn invalid_json_names_its_line() {
        let err = parse_operations(b"{\"name\":\"a\",\"set\":1}\n{\"name\": oops}\n").unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 2, .. }), "{err:?}");
        assert!(err.to_string().starts_with("line 2: "), "{err}");
    }

    #[test]
    fn invalid_operations_name_their_line_and_problem() {
        let data = "{\"name\":\"a\",\"set\":1}\n{\"name\":\"b\",\"action\":\"set\"}\n";
        assert_eq!(problem(data), (2, OperationProblem::MissingValue("set")));
        let err = parse_operations(data.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: 'value' is required for action 'set'"
        );
    }

    #[test]
    fn every_documented_rule_is_checked() {
        for (json, expected) in [
            (r#"{"name":"m"}"#, OperationProblem::MissingAction),
            (
                r#"{"name":"m","set":1,"add":1}"#,
                OperationProblem::SetAndAdd,
            ),
            (
                r#"{"name":"m","action":"inc","value":1}"#,
                OperationProblem::UnsupportedAction("inc".into()),
            ),
            (
                r#"{"action":"set","value":1}"#,
                OperationProblem::MissingName,
            ),
            (
                r#"{"group":"g","action":"set","value":1}"#,
                OperationProblem::MissingName,
            ),
            (
                r#"{"name":"m","action":"observe","value":1}"#,
                OperationProblem::MissingBuckets,
            ),
            (
                r#"{"name":"m","action":"observe","buckets":[1]}"#,
                OperationProblem::MissingValue("observe"),
            ),
            (
                r#"{"name":"m","action":"observe","value":1,"buckets":[2,1]}"#,
                OperationProblem::InvalidBuckets,
            ),
            (r#"{"name":"m","add":-1}"#, OperationProblem::NegativeAdd),
            (
                r#"{"name":"bad-name","set":1}"#,
                OperationProblem::InvalidName("bad-name".into()),
            ),
            (
                r#"{"name":"m","set":1,"labels":{"0x":"v"}}"#,
                OperationProblem::InvalidLabelName("0x".into()),
            ),
        ] {
            assert_eq!(problem(json), (1, expected), "{json}");
        }
    }

    #[test]
    fn non_string_label_values_are_invalid_json() {
        let err = parse_operations(br#"{"name":"m","set":1,"labels":{"a":1}}"#).unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 1, .. }), "{err:?}");
    }

    #[test]
    fn newer_action_aliases_are_accepted() {
        assert_eq!(
            single(r#"{"name":"m","action":"g_add","value":-2}"#).op,
            ValueOperation::GaugeAdd(-2.0)
        );
        assert_eq!(
            single(r#"{"name":"m","action":"c_add","value":2}"#).op,
            ValueOperation::Add(2.0)
        );
        assert_eq!(
            single(r#"{"name":"m","action":"g_set","value":2}"#).op,
            ValueOperation::Set(2.0)
        );
    }

    #[tokio::test]
    async fn reading_a_missing_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.json");
        let err = read_metrics_file(&path).await.unwrap_err();
        assert!(err.to_string().contains("absent.json"), "{err}");
    }
}
