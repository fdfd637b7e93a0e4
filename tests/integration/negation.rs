//! kingpin's `--no-<flag>` spelling of boolean flags.

use integration_tests::{OperatorSpec, write_hook};

use crate::BIN;

#[test]
fn no_log_no_time_overrides_the_environment_and_puts_the_time_back() {
    let hooks = tempfile::tempdir().unwrap();
    write_hook(
        hooks.path(),
        "start.sh",
        r#"if [[ "$1" == "--config" ]]; then echo '{"configVersion":"v1","onStartup":1}'; exit 0; fi
echo started"#,
    );
    for (args, timed) in [(&[][..], false), (&["--no-log-no-time"][..], true)] {
        let mut op = OperatorSpec::new(BIN, hooks.path())
            .env("LOG_NO_TIME", "true")
            .args(args.iter().copied())
            .start();
        op.wait_for_output("started");
        let records = op.log_records();
        assert!(
            records.iter().all(|r| r.get("time").is_some() == timed),
            "{args:?}\n{}",
            op.logs()
        );
        assert!(op.terminate().success());
    }
}
