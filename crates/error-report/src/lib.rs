//! One-line reports of error chains, for logs and hook failures.
//!
//! Errors here are values with a `source()` chain; a log line that prints only the top error
//! (`error = %err`) loses the cause, and the chain of a Kubernetes API error carries kube-rs'
//! display text, which repeats the whole `Status` in `Debug` form. [`Report`] prints
//! `top: cause: cause` and shortens an API error to `message (reason Reason, code N)`.
//!
//! ```
//! let err = std::io::Error::other("disk full");
//! assert_eq!(error_report::Report(&err).to_string(), "disk full");
//! ```

use std::error::Error;
use std::fmt;

/// Displays an error and its causes on one line, separated by `: `.
///
/// A cause whose text the previous message already contains (a wrapper that prints its source
/// itself) is not repeated. A [`kube::Error::Api`] ends the chain with the API server's own
/// words.
#[derive(Clone, Copy)]
pub struct Report<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut current: Option<&(dyn Error + 'static)> = Some(self.0);
        let mut previous = String::new();
        let mut first = true;
        while let Some(err) = current {
            let (text, next) = match err.downcast_ref::<kube::Error>() {
                Some(kube::Error::Api(status)) => (api_status(status), None),
                _ => (err.to_string(), err.source()),
            };
            if first || !previous.contains(&text) {
                if !first {
                    f.write_str(": ")?;
                }
                f.write_str(&text)?;
                first = false;
            }
            previous = text;
            current = next;
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The chain of `err` as a `String` (see [`Report`]).
pub fn chain(err: &(dyn Error + 'static)) -> String {
    Report(err).to_string()
}

fn api_status(status: &kube::core::Status) -> String {
    let mut text = if status.message.is_empty() {
        "API request failed".to_owned()
    } else {
        status.message.clone()
    };
    match (status.reason.is_empty(), status.code) {
        (true, 0) => {}
        (true, code) => text.push_str(&format!(" (code {code})")),
        (false, 0) => text.push_str(&format!(" (reason {})", status.reason)),
        (false, code) => text.push_str(&format!(" (reason {}, code {code})", status.reason)),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("patch CRD crontabs.example.com")]
        Patch(#[source] kube::Error),
        #[error("load hook")]
        Load(#[source] Inner),
        #[error("read config: {0}")]
        Repeats(#[source] std::io::Error),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("parse config of hooks/a.sh")]
    struct Inner(#[source] std::io::Error);

    fn not_found() -> kube::Error {
        let mut status = kube::core::Status::failure(
            "customresourcedefinitions.apiextensions.k8s.io \"crontabs.example.com\" not found",
            "NotFound",
        );
        status.code = 404;
        kube::Error::Api(Box::new(status))
    }

    #[test]
    fn api_errors_end_the_chain_with_the_servers_message_reason_and_code() {
        let err = Outer::Patch(not_found());
        let text = chain(&err);
        assert_eq!(
            text,
            "patch CRD crontabs.example.com: customresourcedefinitions.apiextensions.k8s.io \
             \"crontabs.example.com\" not found (reason NotFound, code 404)"
        );
        assert!(!text.contains("Status {"), "no Debug text: {text}");
    }

    #[test]
    fn every_cause_is_printed_once() {
        let err = Outer::Load(Inner(std::io::Error::other("line 3: bad indent")));
        assert_eq!(
            chain(&err),
            "load hook: parse config of hooks/a.sh: line 3: bad indent"
        );
        let err = Outer::Repeats(std::io::Error::other("permission denied"));
        assert_eq!(chain(&err), "read config: permission denied");
    }
}
