//! Rendering the store as Prometheus text: families sorted by name, HELP is the name itself.

use std::collections::BTreeMap;

use crate::format::{write_go_float, write_label_value};
use crate::operation::Labels;
use crate::store::{Family, SeriesValue};

fn write_series_name(out: &mut String, name: &str, suffix: &str, labels: &Labels, le: Option<f64>) {
    out.push_str(name);
    out.push_str(suffix);
    if labels.is_empty() && le.is_none() {
        return;
    }
    out.push('{');
    let mut first = true;
    for (key, value) in labels {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(key);
        out.push_str("=\"");
        write_label_value(out, value);
        out.push('"');
    }
    if let Some(le) = le {
        if !first {
            out.push(',');
        }
        out.push_str("le=\"");
        write_go_float(out, le);
        out.push('"');
    }
    out.push('}');
}

fn write_sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &Labels,
    le: Option<f64>,
    v: f64,
) {
    write_series_name(out, name, suffix, labels, le);
    out.push(' ');
    write_go_float(out, v);
    out.push('\n');
}

/// Writes every non-empty family.
pub(crate) fn render(families: &BTreeMap<String, Family>) -> String {
    let mut out = String::new();
    for (name, family) in families {
        if family.series.is_empty() {
            continue;
        }
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        out.push_str(name);
        out.push_str("\n# TYPE ");
        out.push_str(name);
        out.push(' ');
        out.push_str(family.kind.as_str());
        out.push('\n');
        for (labels, series) in &family.series {
            match &series.value {
                SeriesValue::Gauge(v) | SeriesValue::Counter(v) => {
                    write_sample(&mut out, name, "", labels, None, *v);
                }
                SeriesValue::Histogram(h) => {
                    let mut cumulative = 0_u64;
                    for (bound, count) in h.bounds.iter().zip(&h.counts) {
                        cumulative += count;
                        #[allow(
                            clippy::cast_precision_loss,
                            reason = "sample counts stay far below 2^53"
                        )]
                        write_sample(
                            &mut out,
                            name,
                            "_bucket",
                            labels,
                            Some(*bound),
                            cumulative as f64,
                        );
                    }
                    #[allow(
                        clippy::cast_precision_loss,
                        reason = "sample counts stay far below 2^53"
                    )]
                    let count = h.count as f64;
                    write_sample(
                        &mut out,
                        name,
                        "_bucket",
                        labels,
                        Some(f64::INFINITY),
                        count,
                    );
                    write_sample(&mut out, name, "_sum", labels, None, h.sum);
                    write_sample(&mut out, name, "_count", labels, None, count);
                }
            }
        }
    }
    out
}
