//! Histogram bucket bounds, copied in value from shell-operator so dashboards keep their `le` series.

/// `hook_run_seconds` and the two CPU histograms: 0 s to 500 s.
pub const HOOK_RUN_BUCKETS: &[f64] = &[
    0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0,
];

/// `tasks_queue_action_duration_seconds`: 0 s to 500 ms.
pub const QUEUE_ACTION_BUCKETS: &[f64] = &[
    0.0, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
];

/// `kube_jq_filter_duration_seconds` and `kube_event_duration_seconds`: 0 s to 10 s.
pub const KUBE_EVENT_BUCKETS: &[f64] = &[
    0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

/// `kubernetes_client_request_latency_seconds`: 0 s to 50 s.
pub const KUBE_CLIENT_BUCKETS: &[f64] = &[
    0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0,
];

/// addon-operator's `buckets_1msTo10s` (module runs, the helm step, helm operations): the same
/// bounds as [`KUBE_EVENT_BUCKETS`].
pub const ADDON_BUCKETS: &[f64] = KUBE_EVENT_BUCKETS;
