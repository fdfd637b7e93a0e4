//! Validated metric operations, and the raw JSON shape they are parsed from.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::OperationProblem;

/// Label name to value; ordered so rendering is stable.
pub type Labels = BTreeMap<String, String>;

/// The JSON object as a hook writes it; unknown fields are ignored, as upstream.
#[derive(Debug, Deserialize)]
pub(crate) struct RawOperation {
    name: Option<String>,
    action: Option<String>,
    value: Option<f64>,
    add: Option<f64>,
    set: Option<f64>,
    buckets: Option<Vec<f64>>,
    labels: Option<Labels>,
    group: Option<String>,
}

/// What kind of metric a name holds in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Written by `set` (and `g_add`).
    Gauge,
    /// Written by `add`.
    Counter,
    /// Written by `observe`.
    Histogram,
}

impl MetricKind {
    /// The word used in `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gauge => "gauge",
            Self::Counter => "counter",
            Self::Histogram => "histogram",
        }
    }
}

/// What to do to one series.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueOperation {
    /// `set`: the gauge takes the value.
    Set(f64),
    /// `g_add`: the gauge moves by the value (may be negative).
    GaugeAdd(f64),
    /// `add`: the counter grows by the value.
    Add(f64),
    /// `observe`: the histogram records the value; `buckets` are the upper bounds.
    Observe {
        /// The observation.
        value: f64,
        /// Strictly increasing finite upper bounds (`+Inf` is implicit).
        buckets: Vec<f64>,
    },
}

impl ValueOperation {
    /// The kind of metric this operation writes.
    pub fn kind(&self) -> MetricKind {
        match self {
            Self::Set(_) | Self::GaugeAdd(_) => MetricKind::Gauge,
            Self::Add(_) => MetricKind::Counter,
            Self::Observe { .. } => MetricKind::Histogram,
        }
    }
}

/// An operation on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesOperation {
    /// Metric name, used as-is.
    pub name: String,
    /// Labels from the file (the `hook` label is added by the store).
    pub labels: Labels,
    /// The group, if any: a batch with a group replaces all series of that group.
    pub group: Option<String>,
    /// What to do.
    pub op: ValueOperation,
}

/// One validated line of a metrics file.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricOperation {
    /// Write a series.
    Series {
        /// 1-based line where the object starts, for error messages.
        line: usize,
        /// The operation.
        series: SeriesOperation,
    },
    /// Drop every series of `group`.
    Expire {
        /// 1-based line where the object starts.
        line: usize,
        /// The group to drop.
        group: String,
    },
}

impl MetricOperation {
    /// The group the operation belongs to, if any.
    pub fn group(&self) -> Option<&str> {
        match self {
            Self::Series { series, .. } => series.group.as_deref(),
            Self::Expire { group, .. } => Some(group),
        }
    }
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    !name.starts_with("__")
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn finite(value: Option<f64>, action: &'static str) -> Result<f64, OperationProblem> {
    let value = value.ok_or(OperationProblem::MissingValue(action))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(OperationProblem::NonFiniteValue)
    }
}

impl RawOperation {
    /// Applies the shorthands and checks the operation, as upstream's `ValidateMetricOperation`
    /// does, plus name checks Prometheus would otherwise fail on at scrape time.
    pub(crate) fn validate(self, line: usize) -> Result<MetricOperation, OperationProblem> {
        let (action, value) = match (self.set, self.add) {
            (Some(_), Some(_)) => return Err(OperationProblem::SetAndAdd),
            (Some(v), None) => (Some("set".to_owned()), Some(v)),
            (None, Some(v)) => (Some("add".to_owned()), Some(v)),
            (None, None) => (self.action, self.value),
        };
        let action = action
            .filter(|a| !a.is_empty())
            .ok_or(OperationProblem::MissingAction)?;
        let group = self.group.filter(|g| !g.is_empty());
        if action == "expire" {
            let group = group.ok_or(OperationProblem::ExpireWithoutGroup)?;
            return Ok(MetricOperation::Expire { line, group });
        }
        let op = match action.as_str() {
            "set" | "g_set" => ValueOperation::Set(finite(value, "set")?),
            "g_add" => ValueOperation::GaugeAdd(finite(value, "g_add")?),
            "add" | "c_add" => {
                let v = finite(value, "add")?;
                if v < 0.0 {
                    return Err(OperationProblem::NegativeAdd);
                }
                ValueOperation::Add(v)
            }
            "observe" | "h_observe" => {
                let value = finite(value, "observe")?;
                let buckets = self.buckets.ok_or(OperationProblem::MissingBuckets)?;
                let increasing = buckets.windows(2).all(|w| w[0] < w[1]);
                if !increasing || buckets.iter().any(|b| !b.is_finite()) {
                    return Err(OperationProblem::InvalidBuckets);
                }
                ValueOperation::Observe { value, buckets }
            }
            _ => return Err(OperationProblem::UnsupportedAction(action)),
        };
        let name = self
            .name
            .filter(|n| !n.is_empty())
            .ok_or(OperationProblem::MissingName)?;
        if !valid_metric_name(&name) {
            return Err(OperationProblem::InvalidName(name));
        }
        let labels = self.labels.unwrap_or_default();
        if let Some(bad) = labels.keys().find(|k| !valid_label_name(k)) {
            return Err(OperationProblem::InvalidLabelName(bad.clone()));
        }
        Ok(MetricOperation::Series {
            line,
            series: SeriesOperation {
                name,
                labels,
                group,
                op,
            },
        })
    }
}
