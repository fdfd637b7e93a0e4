//! Label and field selectors of a binding, translated to the query strings the API server understands.
//!
//! Everything the API server can filter is filtered there: `labelSelector` and `fieldSelector` become the
//! watch's `labelSelector`/`fieldSelector` parameters, and each name of `nameSelector.matchNames` becomes its
//! own watch with `fieldSelector=metadata.name=<name>` (as upstream: one informer per name), so no object the
//! binding cannot see is ever cached.

use std::collections::BTreeMap;

use crate::Error;

/// Operator of a label selector expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelOperator {
    /// The label value is one of the values.
    In,
    /// The label is missing or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is missing.
    DoesNotExist,
}

/// One `matchExpressions` item of a label selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelExpression {
    /// The label key.
    pub key: String,
    /// The operator.
    pub operator: LabelOperator,
    /// The values (`In`/`NotIn` only).
    pub values: Vec<String>,
}

/// A Kubernetes label selector (`matchLabels` and `matchExpressions`, ANDed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    /// Labels that must have exactly these values.
    pub match_labels: BTreeMap<String, String>,
    /// Further requirements.
    pub match_expressions: Vec<LabelExpression>,
}

impl LabelSelector {
    /// The selector as the `labelSelector` query parameter (`a=b,c in (d,e),!f`).
    pub fn to_query(&self) -> Result<String, Error> {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for expr in &self.match_expressions {
            let part = match expr.operator {
                LabelOperator::In | LabelOperator::NotIn => {
                    if expr.values.is_empty() {
                        return Err(Error::InvalidSelector(format!(
                            "{:?} on '{}' needs at least one value",
                            expr.operator, expr.key
                        )));
                    }
                    let mut values = expr.values.clone();
                    values.sort();
                    let op = if expr.operator == LabelOperator::In {
                        "in"
                    } else {
                        "notin"
                    };
                    format!("{} {op} ({})", expr.key, values.join(","))
                }
                LabelOperator::Exists => expr.key.clone(),
                LabelOperator::DoesNotExist => format!("!{}", expr.key),
            };
            parts.push(part);
        }
        Ok(parts.join(","))
    }
}

/// Operator of a field selector expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `=`, `==` and `Equals`.
    Equals,
    /// `!=` and `NotEquals`.
    NotEquals,
}

impl FieldOperator {
    /// Parses the operator as written in hook configs.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "=" | "==" | "Equals" => Ok(Self::Equals),
            "!=" | "NotEquals" => Ok(Self::NotEquals),
            other => Err(Error::InvalidSelector(format!(
                "unknown field selector operator '{other}'"
            ))),
        }
    }
}

/// One `fieldSelector.matchExpressions` item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldExpression {
    /// The field path, e.g. `status.phase`.
    pub field: String,
    /// The operator.
    pub operator: FieldOperator,
    /// The value compared to.
    pub value: String,
}

/// Field selector string for the expressions (ANDed), plus an optional `metadata.name=<name>` requirement.
pub fn field_query(expressions: &[FieldExpression], name: Option<&str>) -> String {
    let mut parts: Vec<String> = expressions
        .iter()
        .map(|e| {
            let op = match e.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            format!("{}{op}{}", e.field, e.value)
        })
        .collect();
    if let Some(name) = name {
        parts.push(format!("metadata.name={name}"));
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(key: &str, operator: LabelOperator, values: &[&str]) -> LabelExpression {
        LabelExpression {
            key: key.into(),
            operator,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn match_labels_and_expressions_are_joined_with_commas() {
        let sel = LabelSelector {
            match_labels: [
                ("app".to_owned(), "x".to_owned()),
                ("tier".to_owned(), String::new()),
            ]
            .into(),
            match_expressions: vec![
                expr("env", LabelOperator::In, &["prod", "dev"]),
                expr("zone", LabelOperator::NotIn, &["a"]),
                expr("canary", LabelOperator::Exists, &[]),
                expr("legacy", LabelOperator::DoesNotExist, &[]),
            ],
        };
        assert_eq!(
            sel.to_query().ok().as_deref(),
            Some("app=x,tier=,env in (dev,prod),zone notin (a),canary,!legacy")
        );
    }

    #[test]
    fn in_without_values_is_rejected() {
        let sel = LabelSelector {
            match_expressions: vec![expr("env", LabelOperator::In, &[])],
            ..LabelSelector::default()
        };
        assert!(matches!(sel.to_query(), Err(Error::InvalidSelector(_))));
    }

    #[test]
    fn every_spelling_of_field_operators_is_accepted() {
        for op in ["=", "==", "Equals"] {
            assert_eq!(FieldOperator::parse(op).ok(), Some(FieldOperator::Equals));
        }
        for op in ["!=", "NotEquals"] {
            assert_eq!(
                FieldOperator::parse(op).ok(),
                Some(FieldOperator::NotEquals)
            );
        }
        assert!(FieldOperator::parse("IsNotin").is_err());
    }

    #[test]
    fn field_expressions_are_anded_with_the_name() {
        let exprs = vec![
            FieldExpression {
                field: "status.phase".into(),
                operator: FieldOperator::Equals,
                value: "Running".into(),
            },
            FieldExpression {
                field: "spec.nodeName".into(),
                operator: FieldOperator::NotEquals,
                value: "n1".into(),
            },
        ];
        assert_eq!(
            field_query(&exprs, Some("x")),
            "status.phase=Running,spec.nodeName!=n1,metadata.name=x"
        );
        assert_eq!(field_query(&[], None), "");
    }
}
