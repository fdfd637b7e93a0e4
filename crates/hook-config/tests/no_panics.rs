//! Nothing panics on user input: arbitrary `--config` output and arbitrary crontabs.

use chrono::{DateTime, Utc};
use hook_config::{Crontab, parse_go_duration_nanos, parse_hook_config};
use proptest::prelude::*;

fn crontab_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("*".to_owned()),
        Just("?".to_owned()),
        Just("@every".to_owned()),
        Just("@daily".to_owned()),
        Just("TZ=UTC".to_owned()),
        Just("TZ=Europe/Berlin".to_owned()),
        "[0-9]{1,3}",
        "[0-9]{1,2}-[0-9]{1,2}",
        "[0-9*]{1,2}/[0-9]{1,2}",
        "(mon|FRI|jan|dec|sun)(-(tue|sat|feb))?",
        "[0-9]{1,2}(,[0-9]{1,2}){0,3}",
        "[0-9]{1,4}(ms|s|m|h)",
    ];
    prop::collection::vec(token, 0..8).prop_map(|tokens| tokens.join(" "))
}

fn config_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("configVersion: v1"),
        Just("configVersion: v0"),
        Just("onStartup: 1"),
        Just("schedule:\n- crontab: \"*/5 * * * *\""),
        Just("schedule:\n- {crontab: bad, includeSnapshotsFrom: [x]}"),
        Just("kubernetes:\n- {name: x, kind: Pod, group: g}"),
        Just(
            "kubernetes:\n- {kind: Pod, labelSelector: {matchExpressions: [{key: a, operator: In}]}}"
        ),
        Just("kubernetesValidating:\n- {name: a.b.c, group: g, timeoutSeconds: 99}"),
        Just("kubernetesMutating:\n- {name: x, rules: [{apiGroups: []}]}"),
        Just("kubernetesCustomResourceConversion:\n- {name: c}"),
        Just("settings: {executionMinInterval: 1s}"),
        Just("onKubernetesEvent:\n- {kind: Pod, event: [add, nope]}"),
        Just("garbage: [1, {a: b}]"),
    ];
    prop::collection::vec(key, 0..6).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_config_parser(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_hook_config("h", &bytes);
    }

    #[test]
    fn combinations_of_config_keys_never_panic_and_errors_are_never_empty(text in config_text()) {
        if let Err(err) = parse_hook_config("h", text.as_bytes()) {
            prop_assert!(!err.problems.is_empty());
        }
    }

    #[test]
    fn a_parsed_crontab_fires_strictly_after_the_given_time(text in crontab_text(), secs in 0i64..4_000_000_000) {
        if let Ok(crontab) = Crontab::parse(&text) {
            let after = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
            if let Some(next) = crontab.next_after(after) {
                prop_assert!(next > after);
            }
        }
    }

    #[test]
    fn well_formed_crontabs_parse_and_always_have_a_later_fire_time(
        fields in prop::collection::vec("\\*|\\*/[1-9]|[1-5]|[1-3]-[4-5]|[1-5]/[1-9]", 4..=5),
        dow in "\\*|\\*/[1-9]|[0-6]|[0-3]-[4-6]|mon-fri",
        secs in 0i64..4_000_000_000,
    ) {
        let after = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
        // Day of week `*`: every field value exists in every year, so a fire time always exists.
        let text = format!("TZ=Europe/Berlin {} *", fields.join(" "));
        let crontab = Crontab::parse(&text);
        prop_assert!(crontab.is_ok(), "{text}: {crontab:?}");
        let next = crontab.ok().and_then(|c| c.next_after(after));
        prop_assert!(next.is_some_and(|next| next > after), "{text} after {after}: {next:?}");
        // Any day of week: rare combinations may have no fire time within 5 years.
        let text = format!("TZ=Europe/Berlin {} {dow}", fields.join(" "));
        let crontab = Crontab::parse(&text);
        prop_assert!(crontab.is_ok(), "{text}: {crontab:?}");
        let next = crontab.ok().and_then(|c| c.next_after(after));
        prop_assert!(next.is_none_or(|next| next > after), "{text} after {after}: {next:?}");
    }

    #[test]
    fn arbitrary_durations_never_panic(text in "[-+]?[0-9.]{0,25}(ns|us|ms|s|m|h|x)?([0-9.]{0,25}(s|h))?") {
        let _ = parse_go_duration_nanos(&text);
    }
}
