//! Counting watch errors by `error_type` without a global registry: the owner passes a sink.

/// Why a watch broke, as the `error_type` label of `kubernetes_client_watch_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchErrorType {
    /// 410 Gone: the resourceVersion is too old, a re-list follows.
    Expired,
    /// The stream ended cleanly where an error was reported.
    Eof,
    /// The connection broke in the middle of a message.
    UnexpectedEof,
    /// Any other failure (list, watch start, API status).
    Fail,
}

impl WatchErrorType {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Eof => "eof",
            Self::UnexpectedEof => "unexpected-eof",
            Self::Fail => "fail",
        }
    }

    /// Classifies an error of kube's watcher.
    pub fn classify(error: &kube::runtime::watcher::Error) -> Self {
        use kube::runtime::watcher::Error as E;
        match error {
            E::WatchError(status) if status.code == 410 => Self::Expired,
            E::InitialListFailed(kube::Error::Api(status))
            | E::WatchStartFailed(kube::Error::Api(status))
                if status.code == 410 =>
            {
                Self::Expired
            }
            E::WatchFailed(err) => {
                let text = format!("{err:?}").to_ascii_lowercase();
                if text.contains("incomplete")
                    || text.contains("unexpected eof")
                    || text.contains("unexpectedeof")
                {
                    Self::UnexpectedEof
                } else if text.contains("eof") {
                    Self::Eof
                } else {
                    Self::Fail
                }
            }
            _ => Self::Fail,
        }
    }
}

/// Receives one call per watch error and per object change a binding handled; implemented by
/// the operator's metrics.
pub trait WatchErrorSink: Send + Sync + 'static {
    /// A watch failed with `error_type`.
    fn watch_error(&self, error_type: WatchErrorType);

    /// Binding `binding` handled one object change in `timing`.
    fn event_timing(&self, binding: &crate::BindingId, timing: &crate::EventTiming) {
        let _ = (binding, timing);
    }
}

/// A sink that drops everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopSink;

impl WatchErrorSink for NoopSink {
    fn watch_error(&self, _error_type: WatchErrorType) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;
    use kube::runtime::watcher::Error as E;

    #[test]
    fn gone_is_expired_and_other_statuses_fail() {
        let gone = Status::failure("too old", "Expired").with_code(410);
        assert_eq!(
            WatchErrorType::classify(&E::WatchError(Box::new(gone))),
            WatchErrorType::Expired
        );
        let internal = Status::failure("boom", "InternalError").with_code(500);
        assert_eq!(
            WatchErrorType::classify(&E::WatchError(Box::new(internal))),
            WatchErrorType::Fail
        );
        assert_eq!(
            WatchErrorType::classify(&E::NoResourceVersion),
            WatchErrorType::Fail
        );
    }

    #[test]
    fn labels_match_upstream() {
        let labels: Vec<_> = [
            WatchErrorType::Expired,
            WatchErrorType::Eof,
            WatchErrorType::UnexpectedEof,
            WatchErrorType::Fail,
        ]
        .iter()
        .map(|t| t.as_str())
        .collect();
        assert_eq!(labels, ["expired", "eof", "unexpected-eof", "fail"]);
    }
}
