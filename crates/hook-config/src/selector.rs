//! Typed label and field selectors of kubernetes and webhook bindings.

use std::collections::BTreeMap;

use crate::error::{Problems, index, join};
use crate::names::{check_label_value, check_qualified_name};
use crate::raw::{RawFieldSelector, RawLabelSelector};

/// A label selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOperator {
    /// `In`
    In,
    /// `NotIn`
    NotIn,
    /// `Exists`
    Exists,
    /// `DoesNotExist`
    DoesNotExist,
}

/// One `matchExpressions` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRequirement {
    /// The label key.
    pub key: String,
    /// The operator.
    pub operator: LabelOperator,
    /// The values (empty for `Exists`/`DoesNotExist`).
    pub values: Vec<String>,
}

/// A Kubernetes `LabelSelector`, validated like `metav1.LabelSelectorAsSelector`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    /// `matchLabels`.
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    pub match_expressions: Vec<LabelRequirement>,
}

impl LabelSelector {
    /// The selector in the API's query syntax (`a=b,c in (x,y),!d`), requirements sorted by key
    /// as client-go does.
    pub fn to_query(&self) -> String {
        let mut parts: Vec<(String, String)> = self
            .match_labels
            .iter()
            .map(|(key, value)| (key.clone(), format!("{key}={value}")))
            .collect();
        for req in &self.match_expressions {
            let mut values = req.values.clone();
            values.sort();
            let text = match req.operator {
                LabelOperator::In => format!("{} in ({})", req.key, values.join(",")),
                LabelOperator::NotIn => format!("{} notin ({})", req.key, values.join(",")),
                LabelOperator::Exists => req.key.clone(),
                LabelOperator::DoesNotExist => format!("!{}", req.key),
            };
            parts.push((req.key.clone(), text));
        }
        parts.sort_by(|a, b| a.0.cmp(&b.0));
        parts
            .into_iter()
            .map(|(_, text)| text)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A field selector operator (`=`, `==` and `Equals` are equality; `!=` and `NotEquals` are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOperator {
    /// Equality.
    Equals,
    /// Inequality.
    NotEquals,
}

/// One field selector expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The field path, such as `metadata.name`.
    pub field: String,
    /// The operator.
    pub operator: FieldOperator,
    /// The value.
    pub value: String,
}

/// A field selector: expressions ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    /// The expressions in config order.
    pub match_expressions: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// The selector in the API's query syntax (`status.phase=Pending,metadata.name!=x`).
    pub fn to_query(&self) -> String {
        self.match_expressions
            .iter()
            .map(|req| {
                let op = match req.operator {
                    FieldOperator::Equals => "=",
                    FieldOperator::NotEquals => "!=",
                };
                format!("{}{op}{}", req.field, req.value)
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether an expression selects on `metadata.name`.
    pub fn selects_name(&self) -> bool {
        self.match_expressions
            .iter()
            .any(|req| req.field == "metadata.name")
    }
}

pub(crate) fn label_selector(
    raw: &RawLabelSelector,
    path: &str,
    problems: &mut Problems,
) -> LabelSelector {
    let mut selector = LabelSelector::default();
    for (key, value) in raw.match_labels.iter().flatten() {
        let at = join(&join(path, "matchLabels"), key);
        if let Err(reason) = check_qualified_name(key) {
            problems.push(&at, format!("is invalid: key: {reason}"));
        }
        if let Err(reason) = check_label_value(value) {
            problems.push(&at, format!("is invalid: value {value:?}: {reason}"));
        }
        selector.match_labels.insert(key.clone(), value.clone());
    }
    for (i, expr) in raw.match_expressions.iter().flatten().enumerate() {
        let at = index(&join(path, "matchExpressions"), i);
        let operator = match expr.operator.as_str() {
            "In" => LabelOperator::In,
            "NotIn" => LabelOperator::NotIn,
            "Exists" => LabelOperator::Exists,
            _ => LabelOperator::DoesNotExist,
        };
        let values = expr.values.clone().unwrap_or_default();
        if let Err(reason) = check_qualified_name(&expr.key) {
            problems.push(join(&at, "key"), format!("is invalid: {reason}"));
        }
        match operator {
            LabelOperator::In | LabelOperator::NotIn if values.is_empty() => problems.push(
                join(&at, "values"),
                "is invalid: for 'in', 'notin' operators, values set can't be empty",
            ),
            LabelOperator::Exists | LabelOperator::DoesNotExist if !values.is_empty() => problems
                .push(
                    join(&at, "values"),
                    "is invalid: values set must be empty for exists and does not exist",
                ),
            _ => {}
        }
        for value in &values {
            if let Err(reason) = check_label_value(value) {
                problems.push(
                    join(&at, "values"),
                    format!("is invalid: {value:?}: {reason}"),
                );
            }
        }
        selector.match_expressions.push(LabelRequirement {
            key: expr.key.clone(),
            operator,
            values,
        });
    }
    selector
}

pub(crate) fn field_selector(raw: &RawFieldSelector) -> FieldSelector {
    FieldSelector {
        match_expressions: raw
            .match_expressions
            .iter()
            .map(|expr| FieldRequirement {
                field: expr.field.clone(),
                operator: match expr.operator.as_str() {
                    "!=" | "NotEquals" => FieldOperator::NotEquals,
                    _ => FieldOperator::Equals,
                },
                value: expr.value.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selector_query_sorts_requirements_by_key() {
        let selector = LabelSelector {
            match_labels: [("tier".to_owned(), "cache".to_owned())].into(),
            match_expressions: vec![
                LabelRequirement {
                    key: "env".into(),
                    operator: LabelOperator::In,
                    values: vec!["prod".into(), "dev".into()],
                },
                LabelRequirement {
                    key: "x".into(),
                    operator: LabelOperator::DoesNotExist,
                    values: vec![],
                },
            ],
        };
        assert_eq!(selector.to_query(), "env in (dev,prod),tier=cache,!x");
    }

    #[test]
    fn field_selector_query_maps_operator_aliases() {
        let raw: RawFieldSelector =
            serde_json::from_value(serde_json::json!({"matchExpressions": [
                {"field": "status.phase", "operator": "Equals", "value": "Pending"},
                {"field": "metadata.name", "operator": "NotEquals", "value": "x"},
            ]}))
            .unwrap();
        let selector = field_selector(&raw);
        assert_eq!(selector.to_query(), "status.phase=Pending,metadata.name!=x");
        assert!(selector.selects_name());
    }
}
