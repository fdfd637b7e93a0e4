//! Validation of a v1 document into [`HookConfig`].

use serde_json::{Map, Value};

use crate::binding::admission::{self, AdmissionKind};
use crate::binding::{conversion, kubernetes, schedule};
use crate::config::{ConfigVersion, HookConfig, OnStartup, OrderedBinding};
use crate::error::{Problems, index};
use crate::options::ParseOptions;
use crate::raw::RawConfigV1;
use crate::{settings, snapshots};

pub(crate) fn number_to_i64(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

pub(crate) fn ordered_bindings(
    doc: &Map<String, Value>,
    options: &ParseOptions,
) -> Vec<OrderedBinding> {
    options
        .ordered_bindings
        .iter()
        .filter_map(|name| {
            let order = number_to_i64(doc.get(*name)?)?;
            Some(OrderedBinding {
                name: (*name).to_owned(),
                order,
            })
        })
        .collect()
}

pub(crate) fn convert(
    doc: &Map<String, Value>,
    options: &ParseOptions,
    problems: &mut Problems,
) -> Option<HookConfig> {
    let raw: RawConfigV1 = match serde_json::from_value(Value::Object(doc.clone())) {
        Ok(raw) => raw,
        Err(err) => {
            problems.push("", format!("config is invalid: {err}"));
            return None;
        }
    };
    let on_startup = raw
        .on_startup
        .as_ref()
        .and_then(|n| number_to_i64(&Value::Number(n.clone())))
        .map(|order| OnStartup { order });

    // Kept by index (None for a bad crontab) so problems name the right item.
    let mut schedules: Vec<Option<_>> = Vec::new();
    for (i, item) in raw.schedule.iter().flatten().enumerate() {
        schedules.push(schedule::from_raw(item, &index("schedule", i), problems));
    }
    let mut kube = Vec::new();
    for (i, item) in raw.kubernetes.iter().flatten().enumerate() {
        kube.push(kubernetes::from_raw(
            item,
            &index("kubernetes", i),
            problems,
        ));
    }
    let mut validating = Vec::new();
    for (i, item) in raw.kubernetes_validating.iter().flatten().enumerate() {
        let path = index("kubernetesValidating", i);
        validating.push(admission::from_raw(
            item,
            AdmissionKind::Validating,
            &path,
            problems,
        ));
    }
    admission::check_unique_names(&validating, "kubernetesValidating", problems);
    let mut mutating = Vec::new();
    for (i, item) in raw.kubernetes_mutating.iter().flatten().enumerate() {
        let path = index("kubernetesMutating", i);
        mutating.push(admission::from_raw(
            item,
            AdmissionKind::Mutating,
            &path,
            problems,
        ));
    }
    let conversions: Vec<_> = raw
        .kubernetes_custom_resource_conversion
        .iter()
        .flatten()
        .map(conversion::from_raw)
        .collect();
    let settings = raw
        .settings
        .as_ref()
        .and_then(|s| settings::from_raw(s, "settings", problems));

    // includeSnapshotsFrom names must exist; then groups add their kubernetes bindings.
    let kube_names: Vec<&str> = kube.iter().map(|b| b.name.as_str()).collect();
    let kube_groups: Vec<(&str, Option<&str>)> = kube
        .iter()
        .map(|b| (b.name.as_str(), b.group.as_deref()))
        .collect();
    let merge = |own: &[String], group: Option<&String>| match group {
        Some(group) => snapshots::merge(own, &snapshots::group_names(&kube_groups, group)),
        None => own.to_vec(),
    };
    let mut merged_kube = Vec::with_capacity(kube.len());
    for (i, b) in kube.iter().enumerate() {
        snapshots::check_includes(
            &b.include_snapshots_from,
            &kube_names,
            &index("kubernetes", i),
            problems,
        );
        merged_kube.push(merge(&b.include_snapshots_from, b.group.as_ref()));
    }
    for (i, b) in schedules.iter_mut().enumerate() {
        if let Some(b) = b {
            snapshots::check_includes(
                &b.include_snapshots_from,
                &kube_names,
                &index("schedule", i),
                problems,
            );
            b.include_snapshots_from = merge(&b.include_snapshots_from, b.group.as_ref());
        }
    }
    for (list, bindings) in [
        ("kubernetesValidating", &mut validating),
        ("kubernetesMutating", &mut mutating),
    ] {
        for (i, b) in bindings.iter_mut().enumerate() {
            snapshots::check_includes(
                &b.include_snapshots_from,
                &kube_names,
                &index(list, i),
                problems,
            );
            b.include_snapshots_from = merge(&b.include_snapshots_from, b.group.as_ref());
        }
    }
    let mut conversions = conversions;
    for (i, b) in conversions.iter_mut().enumerate() {
        let path = index("kubernetesCustomResourceConversion", i);
        snapshots::check_includes(&b.include_snapshots_from, &kube_names, &path, problems);
        b.include_snapshots_from = merge(&b.include_snapshots_from, b.group.as_ref());
    }
    for (b, merged) in kube.iter_mut().zip(merged_kube) {
        b.include_snapshots_from = merged;
    }

    Some(HookConfig {
        version: ConfigVersion::V1,
        on_startup,
        schedules: schedules.into_iter().flatten().collect(),
        kubernetes: kube,
        validating,
        mutating,
        conversion: conversions,
        settings,
        ordered: ordered_bindings(doc, options),
    })
}
