//! Helpers shared by the config test binaries.
#![allow(clippy::panic, dead_code)] // reason: test helpers fail the test by panicking; not every binary uses every helper

use hook_config::parse_hook_config;

pub fn problems(config: &str) -> Vec<String> {
    match parse_hook_config("hook.sh", config.as_bytes()) {
        Ok(parsed) => panic!("expected an error, got {parsed:#?}"),
        Err(err) => {
            assert_eq!(err.hook, "hook.sh");
            err.problems.iter().map(ToString::to_string).collect()
        }
    }
}

pub fn has(problems: &[String], needle: &str) -> bool {
    problems.iter().any(|p| p.contains(needle))
}

#[track_caller]
pub fn assert_has(problems: &[String], needle: &str) {
    assert!(
        has(problems, needle),
        "no problem contains {needle:?}: {problems:#?}"
    );
}

pub fn ok(config: &str) -> hook_config::HookConfig {
    match parse_hook_config("hook.sh", config.as_bytes()) {
        Ok(parsed) => parsed,
        Err(err) => panic!("expected a valid config: {err}"),
    }
}
