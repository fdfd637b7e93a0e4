//! The grouped store of hook metrics, shared by the hook runner (writes) and `/metrics/hooks` (reads).
//!
//! Semantics follow the upstream documentation:
//! - a batch that mentions a group (any operation with that `group`, or `expire`) first drops every
//!   series of that group, over all metric names and hooks, then applies its operations in order;
//! - series written without a group persist across runs until restart; `add` accumulates and `set`
//!   overwrites;
//! - a series belongs to the group of the last operation that wrote it.
//!
//! A batch is checked before anything changes: if a metric name would be used as two kinds, the
//! whole batch is rejected.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use crate::error::ApplyError;
use crate::operation::{Labels, MetricKind, MetricOperation, SeriesOperation, ValueOperation};
use crate::render::render;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistogramValue {
    pub(crate) bounds: Vec<f64>,
    /// Observations per bucket (not cumulative), same length as `bounds`.
    pub(crate) counts: Vec<u64>,
    pub(crate) sum: f64,
    pub(crate) count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SeriesValue {
    Gauge(f64),
    Counter(f64),
    Histogram(HistogramValue),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub(crate) group: Option<String>,
    pub(crate) value: SeriesValue,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Family {
    pub(crate) kind: MetricKind,
    /// Histogram bounds, fixed when the family is created (as a Go HistogramVec's are).
    pub(crate) bounds: Vec<f64>,
    pub(crate) series: BTreeMap<Labels, Series>,
}

/// All hook metrics; cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct HookMetricsStore {
    families: Mutex<BTreeMap<String, Family>>,
}

impl HookMetricsStore {
    /// Applies one run's operations for shell-operator hook `hook` (adds the label `hook=<hook>`).
    pub fn apply_for_hook(&self, hook: &str, ops: &[MetricOperation]) -> Result<(), ApplyError> {
        let common = Labels::from([("hook".to_owned(), hook.to_owned())]);
        self.apply(&common, ops)
    }

    /// Applies one run's operations, adding `common` labels (which win over the file's), for
    /// callers that add more than `hook` (addon-operator adds `module`).
    pub fn apply(&self, common: &Labels, ops: &[MetricOperation]) -> Result<(), ApplyError> {
        let mut families = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        let groups: BTreeSet<&str> = ops.iter().filter_map(MetricOperation::group).collect();
        check_kinds(&families, &groups, ops)?;
        drop_groups(&mut families, &groups);
        for op in ops {
            match op {
                MetricOperation::Expire { group, .. } => {
                    drop_groups(&mut families, &BTreeSet::from([group.as_str()]));
                }
                MetricOperation::Series { series, .. } => write(&mut families, common, series),
            }
        }
        Ok(())
    }

    /// The whole store in the Prometheus text format, for `/metrics/hooks`.
    pub fn render(&self) -> String {
        let families = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        render(&families)
    }
}

/// Rejects the batch if a name would hold two kinds after its groups are dropped.
fn check_kinds(
    families: &BTreeMap<String, Family>,
    groups: &BTreeSet<&str>,
    ops: &[MetricOperation],
) -> Result<(), ApplyError> {
    let mut batch_kinds: HashMap<&str, MetricKind> = HashMap::new();
    for op in ops {
        let MetricOperation::Series { line, series } = op else {
            continue;
        };
        let requested = series.op.kind();
        let surviving = families.get(&series.name).filter(|f| {
            f.series
                .values()
                .any(|s| !s.group.as_deref().is_some_and(|g| groups.contains(g)))
        });
        let existing = match surviving {
            Some(family) => family.kind,
            None => *batch_kinds.entry(series.name.as_str()).or_insert(requested),
        };
        if existing != requested {
            return Err(ApplyError::KindConflict {
                line: *line,
                name: series.name.clone(),
                existing: existing.as_str(),
                requested: requested.as_str(),
            });
        }
    }
    Ok(())
}

/// Removes every series whose group is in `groups`, and families left empty.
fn drop_groups(families: &mut BTreeMap<String, Family>, groups: &BTreeSet<&str>) {
    if groups.is_empty() {
        return;
    }
    for family in families.values_mut() {
        family
            .series
            .retain(|_, s| !s.group.as_deref().is_some_and(|g| groups.contains(g)));
    }
    families.retain(|_, f| !f.series.is_empty());
}

fn write(families: &mut BTreeMap<String, Family>, common: &Labels, op: &SeriesOperation) {
    let family = families.entry(op.name.clone()).or_insert_with(|| Family {
        kind: op.op.kind(),
        bounds: match &op.op {
            ValueOperation::Observe { buckets, .. } => buckets.clone(),
            _ => Vec::new(),
        },
        series: BTreeMap::new(),
    });
    let mut labels = op.labels.clone();
    labels.extend(common.iter().map(|(k, v)| (k.clone(), v.clone())));
    let bounds = &family.bounds;
    let series = family.series.entry(labels).or_insert_with(|| Series {
        group: None,
        value: match op.op.kind() {
            MetricKind::Gauge => SeriesValue::Gauge(0.0),
            MetricKind::Counter => SeriesValue::Counter(0.0),
            MetricKind::Histogram => SeriesValue::Histogram(HistogramValue {
                bounds: bounds.clone(),
                counts: vec![0; bounds.len()],
                sum: 0.0,
                count: 0,
            }),
        },
    });
    series.group.clone_from(&op.group);
    match (&mut series.value, &op.op) {
        (SeriesValue::Gauge(v), ValueOperation::Set(x)) => *v = *x,
        (SeriesValue::Gauge(v), ValueOperation::GaugeAdd(x))
        | (SeriesValue::Counter(v), ValueOperation::Add(x)) => *v += *x,
        (SeriesValue::Histogram(h), ValueOperation::Observe { value, .. }) => {
            if let Some(i) = h.bounds.iter().position(|b| *value <= *b) {
                h.counts[i] += 1;
            }
            h.sum += *value;
            h.count += 1;
        }
        // check_kinds rejected every other combination before anything was written.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::parse::parse_operations;

    fn run(store: &HookMetricsStore, hook: &str, lines: &[&str]) -> Result<(), ApplyError> {
        let ops = parse_operations(lines.join("\n").as_bytes()).unwrap();
        store.apply_for_hook(hook, &ops)
    }

    fn samples(store: &HookMetricsStore) -> Vec<String> {
        store
            .render()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn add_accumulates_across_runs_and_set_overwrites() {
        let store = HookMetricsStore::default();
        for _ in 0..3 {
            run(
                &store,
                "h.sh",
                &[r#"{"name":"runs","add":1}"#, r#"{"name":"last","set":5}"#],
            )
            .unwrap();
        }
        run(&store, "h.sh", &[r#"{"name":"last","set":7}"#]).unwrap();
        assert_eq!(
            samples(&store),
            vec![r#"last{hook="h.sh"} 7"#, r#"runs{hook="h.sh"} 3"#]
        );
    }

    #[test]
    fn ungrouped_series_persist_when_a_later_run_writes_nothing() {
        let store = HookMetricsStore::default();
        run(&store, "h.sh", &[r#"{"name":"m","set":1}"#]).unwrap();
        store.apply_for_hook("h.sh", &[]).unwrap();
        assert_eq!(samples(&store), vec![r#"m{hook="h.sh"} 1"#]);
    }

    #[test]
    fn the_hook_label_is_added_and_wins_over_the_file() {
        let store = HookMetricsStore::default();
        run(
            &store,
            "dir/h.sh",
            &[r#"{"name":"m","set":1,"labels":{"hook":"fake","a":"b"}}"#],
        )
        .unwrap();
        assert_eq!(samples(&store), vec![r#"m{a="b",hook="dir/h.sh"} 1"#]);
    }

    #[test]
    fn observe_fills_cumulative_buckets_sum_and_count() {
        let store = HookMetricsStore::default();
        for v in [0.5, 3.0, 100.0] {
            run(
                &store,
                "h",
                &[&format!(
                    r#"{{"name":"d","action":"observe","value":{v},"buckets":[1,5]}}"#
                )],
            )
            .unwrap();
        }
        assert_eq!(
            store.render(),
            "# HELP d d\n# TYPE d histogram\n\
             d_bucket{hook=\"h\",le=\"1\"} 1\n\
             d_bucket{hook=\"h\",le=\"5\"} 2\n\
             d_bucket{hook=\"h\",le=\"+Inf\"} 3\n\
             d_sum{hook=\"h\"} 103.5\n\
             d_count{hook=\"h\"} 3\n"
        );
    }

    #[test]
    fn a_kind_conflict_rejects_the_whole_batch() {
        let store = HookMetricsStore::default();
        run(&store, "h", &[r#"{"name":"m","set":1}"#]).unwrap();
        let err = run(
            &store,
            "h",
            &[r#"{"name":"other","set":2}"#, r#"{"name":"m","add":1}"#],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: metric 'm' is a gauge, cannot use it as a counter"
        );
        assert_eq!(samples(&store), vec![r#"m{hook="h"} 1"#]);
    }

    #[test]
    fn a_group_whose_series_are_all_replaced_may_change_kind() {
        let store = HookMetricsStore::default();
        run(&store, "h", &[r#"{"group":"g","name":"m","set":1}"#]).unwrap();
        run(&store, "h", &[r#"{"group":"g","name":"m","add":4}"#]).unwrap();
        assert_eq!(
            store.render(),
            "# HELP m m\n# TYPE m counter\nm{hook=\"h\"} 4\n"
        );
    }

    /// The example of the upstream documentation (`METRICS_FROM_HOOKS.md`), run by run.
    #[test]
    fn documented_group_example_replaces_and_expires_groups_across_runs() {
        let store = HookMetricsStore::default();
        run(&store, "hook1.sh", &[
            r#"{"group":"hook1", "name":"hook_metric", "action":"add", "value":1, "labels":{"kind":"pod"}}"#,
            r#"{"group":"hook1", "name":"hook_metric", "action":"add", "value":1, "labels":{"kind":"replicaset"}}"#,
            r#"{"group":"hook1", "name":"hook_metric", "action":"add", "value":1, "labels":{"kind":"deployment"}}"#,
            r#"{"group":"hook1", "name":"hook1_special_metric", "action":"set", "value":12, "labels":{"label1":"value1"}}"#,
            r#"{"group":"hook1", "name":"common_metric", "action":"set", "value":300, "labels":{"source":"source3"}}"#,
            r#"{"name":"common_metric", "action":"set", "value":100, "labels":{"source":"source1"}}"#,
        ]).unwrap();
        run(&store, "hook2.sh", &[
            r#"{"group":"hook2", "name":"hook_metric","action":"add", "value":1, "labels":{"kind":"configmap"}}"#,
            r#"{"group":"hook2", "name":"hook_metric","action":"add", "value":1, "labels":{"kind":"secret"}}"#,
            r#"{"group":"hook2", "name":"hook2_special_metric", "action":"set", "value":42}"#,
            r#"{"name":"common_metric", "action":"set", "value":200, "labels":{"source":"source2"}}"#,
        ]).unwrap();
        assert_eq!(
            samples(&store),
            vec![
                r#"common_metric{hook="hook1.sh",source="source1"} 100"#,
                r#"common_metric{hook="hook1.sh",source="source3"} 300"#,
                r#"common_metric{hook="hook2.sh",source="source2"} 200"#,
                r#"hook1_special_metric{hook="hook1.sh",label1="value1"} 12"#,
                r#"hook2_special_metric{hook="hook2.sh"} 42"#,
                r#"hook_metric{hook="hook1.sh",kind="deployment"} 1"#,
                r#"hook_metric{hook="hook1.sh",kind="pod"} 1"#,
                r#"hook_metric{hook="hook1.sh",kind="replicaset"} 1"#,
                r#"hook_metric{hook="hook2.sh",kind="configmap"} 1"#,
                r#"hook_metric{hook="hook2.sh",kind="secret"} 1"#,
            ]
        );

        // The group is replaced: the old series of group hook1 are dropped before the add, so the
        // pod series restarts at 1 (upstream code; its doc example shows 2).
        run(&store, "hook1.sh", &[
            r#"{"group":"hook1", "name":"hook_metric", "action":"add", "value":1, "labels":{"kind":"pod"}}"#,
        ]).unwrap();
        assert_eq!(
            samples(&store),
            vec![
                r#"common_metric{hook="hook1.sh",source="source1"} 100"#,
                r#"common_metric{hook="hook2.sh",source="source2"} 200"#,
                r#"hook2_special_metric{hook="hook2.sh"} 42"#,
                r#"hook_metric{hook="hook1.sh",kind="pod"} 1"#,
                r#"hook_metric{hook="hook2.sh",kind="configmap"} 1"#,
                r#"hook_metric{hook="hook2.sh",kind="secret"} 1"#,
            ]
        );

        run(
            &store,
            "hook2.sh",
            &[r#"{"group":"hook2", "action":"expire"}"#],
        )
        .unwrap();
        assert_eq!(
            store.render(),
            "# HELP common_metric common_metric\n# TYPE common_metric gauge\n\
             common_metric{hook=\"hook1.sh\",source=\"source1\"} 100\n\
             common_metric{hook=\"hook2.sh\",source=\"source2\"} 200\n\
             # HELP hook_metric hook_metric\n# TYPE hook_metric counter\n\
             hook_metric{hook=\"hook1.sh\",kind=\"pod\"} 1\n"
        );
    }

    #[test]
    fn gauge_add_moves_a_gauge_both_ways() {
        let store = HookMetricsStore::default();
        run(&store, "h", &[r#"{"name":"g","action":"g_add","value":5}"#]).unwrap();
        run(
            &store,
            "h",
            &[r#"{"name":"g","action":"g_add","value":-2}"#],
        )
        .unwrap();
        assert_eq!(
            store.render(),
            "# HELP g g\n# TYPE g gauge\ng{hook=\"h\"} 3\n"
        );
    }

    #[test]
    fn histogram_buckets_are_fixed_by_the_first_observation_of_a_name() {
        let store = HookMetricsStore::default();
        run(
            &store,
            "a",
            &[r#"{"name":"d","action":"observe","value":1,"buckets":[1]}"#],
        )
        .unwrap();
        run(
            &store,
            "b",
            &[r#"{"name":"d","action":"observe","value":1,"buckets":[2,3]}"#],
        )
        .unwrap();
        let text = store.render();
        assert!(text.contains("d_bucket{hook=\"b\",le=\"1\"} 1\n"), "{text}");
        assert!(!text.contains("le=\"2\""), "{text}");
    }

    #[test]
    fn groups_work_across_hooks() {
        let store = HookMetricsStore::default();
        run(
            &store,
            "a.sh",
            &[r#"{"group":"shared","name":"m","set":1}"#],
        )
        .unwrap();
        run(
            &store,
            "b.sh",
            &[r#"{"group":"shared","name":"m","set":2}"#],
        )
        .unwrap();
        assert_eq!(samples(&store), vec![r#"m{hook="b.sh"} 2"#]);
    }

    #[test]
    fn expire_after_a_write_in_the_same_batch_drops_it() {
        let store = HookMetricsStore::default();
        run(
            &store,
            "h",
            &[
                r#"{"group":"g","name":"m","set":1}"#,
                r#"{"group":"g","action":"expire"}"#,
            ],
        )
        .unwrap();
        assert_eq!(store.render(), "");
    }

    #[test]
    fn extra_common_labels_are_added_for_addon_operator() {
        let store = HookMetricsStore::default();
        let ops = parse_operations(br#"{"name":"m","set":1}"#).unwrap();
        let common = Labels::from([("hook".into(), "h".into()), ("module".into(), "mod".into())]);
        store.apply(&common, &ops).unwrap();
        assert_eq!(samples(&store), vec![r#"m{hook="h",module="mod"} 1"#]);
    }
}
