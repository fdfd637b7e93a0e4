//! Runtime parameters changed through `config set` (upstream `pkg/config`), with expiring values.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The runtime key of the log level.
pub const LOG_LEVEL: &str = "log.level";
/// How long `log.level=debug` lasts when set without a duration.
pub const DEBUG_LEVEL_DURATION: Duration = Duration::from_secs(30 * 60);
/// Levels `log.level` accepts (upstream's logger levels).
pub const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "fatal"];

/// Called with (old value, new value) whenever the effective value changes, expiry included.
pub type OnChange = Box<dyn Fn(&str, &str) -> Result<(), String> + Send + Sync>;
/// Returns `Some(d)` when a value set without a duration must still expire after `d`.
pub type ForcedDuration = Box<dyn Fn(&str) -> Option<Duration> + Send + Sync>;
/// Returns an error message when a value is not acceptable.
pub type Validate = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// One runtime parameter.
pub struct Parameter {
    /// Key, e.g. `log.level`.
    pub name: String,
    /// Shown by `config list`.
    pub description: String,
    /// The value when nothing was set.
    pub default: String,
    /// Applies a change.
    pub on_change: Option<OnChange>,
    /// Forces expiry of some values (debug log level).
    pub forced_duration: Option<ForcedDuration>,
    /// Rejects bad values before they are stored.
    pub validate: Option<Validate>,
}

impl Parameter {
    /// The `log.level` parameter: `debug` without a duration expires after 30 minutes.
    pub fn log_level(initial: &str, on_change: OnChange) -> Self {
        Parameter {
            name: LOG_LEVEL.to_owned(),
            description: format!(
                "Global log level. Default duration for debug level is {}",
                crate::go_duration::format(DEBUG_LEVEL_DURATION)
            ),
            default: initial.to_lowercase(),
            on_change: Some(on_change),
            forced_duration: Some(Box::new(|value| {
                value
                    .eq_ignore_ascii_case("debug")
                    .then_some(DEBUG_LEVEL_DURATION)
            })),
            validate: Some(Box::new(|value| {
                if LOG_LEVELS.contains(&value.to_lowercase().as_str()) {
                    Ok(())
                } else {
                    Err(format!("unknown log level '{value}'"))
                }
            })),
        }
    }
}

/// Why `config set` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    /// No such key.
    #[error("unknown runtime parameter '{0}'")]
    Unknown(String),
    /// The parameter's validator refused the value.
    #[error("'value' parameter is invalid: {0}")]
    Invalid(String),
    /// The change handler failed; the value is stored anyway, as upstream does.
    #[error("{0}")]
    OnChange(String),
}

struct Temporary {
    value: String,
    deadline: Instant,
    expire_at: DateTime<Utc>,
}

#[derive(Default)]
struct Inner {
    params: BTreeMap<String, Arc<Parameter>>,
    values: BTreeMap<String, String>,
    temporary: BTreeMap<String, Temporary>,
    errors: BTreeMap<String, String>,
}

impl Inner {
    fn value(&self, name: &str) -> Option<String> {
        let param = self.params.get(name)?;
        Some(
            self.temporary
                .get(name)
                .map(|t| t.value.clone())
                .or_else(|| self.values.get(name).cloned())
                .unwrap_or_else(|| param.default.clone()),
        )
    }
}

/// The store of runtime parameters; cheap to clone, shared by the debug routes and the engine.
#[derive(Clone, Default)]
pub struct RuntimeConfig {
    inner: Arc<Mutex<Inner>>,
    changed: Arc<Notify>,
}

impl std::fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("list", &self.list())
            .finish()
    }
}

impl RuntimeConfig {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a parameter; a second registration of the same name is ignored.
    pub fn register(&self, param: Parameter) {
        self.lock()
            .params
            .entry(param.name.clone())
            .or_insert_with(|| Arc::new(param));
    }

    /// Whether `name` is a registered parameter.
    pub fn has(&self, name: &str) -> bool {
        self.lock().params.contains_key(name)
    }

    /// The effective value.
    pub fn value(&self, name: &str) -> Option<String> {
        self.lock().value(name)
    }

    /// Sets a value; with `duration` (or a forced one) the value reverts when it expires.
    pub fn set(&self, name: &str, value: &str, duration: Option<Duration>) -> Result<(), SetError> {
        let param = self
            .lock()
            .params
            .get(name)
            .cloned()
            .ok_or_else(|| SetError::Unknown(name.to_owned()))?;
        if let Some(validate) = &param.validate {
            validate(value).map_err(SetError::Invalid)?;
        }
        let duration = duration
            .filter(|d| !d.is_zero())
            .or_else(|| param.forced_duration.as_ref().and_then(|f| f(value)));
        let (old, new) = {
            let mut inner = self.lock();
            let old = inner.value(name).unwrap_or_default();
            match duration {
                Some(d) => {
                    let expire_at =
                        Utc::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
                    inner.temporary.insert(
                        name.to_owned(),
                        Temporary {
                            value: value.to_owned(),
                            deadline: Instant::now() + d,
                            expire_at,
                        },
                    );
                }
                None => {
                    inner.temporary.remove(name);
                    inner.values.insert(name.to_owned(), value.to_owned());
                }
            }
            (old, inner.value(name).unwrap_or_default())
        };
        self.changed.notify_one();
        self.call_on_change(&param, &old, &new)
    }

    fn call_on_change(&self, param: &Parameter, old: &str, new: &str) -> Result<(), SetError> {
        let result = match &param.on_change {
            Some(on_change) => on_change(old, new),
            None => Ok(()),
        };
        let mut inner = self.lock();
        match result {
            Ok(()) => {
                inner.errors.remove(&param.name);
                Ok(())
            }
            Err(message) => {
                tracing::error!(parameter = %param.name, old_value = old, new_value = new, error = %message, "OnChange handler failed for parameter during value change values");
                inner.errors.insert(param.name.clone(), message.clone());
                Err(SetError::OnChange(message))
            }
        }
    }

    /// Reverts expired temporary values; returns the names that expired.
    pub fn expire_due(&self) -> Vec<String> {
        let now = Instant::now();
        let expired: Vec<(Arc<Parameter>, String, String)> = {
            let mut inner = self.lock();
            let due: Vec<String> = inner
                .temporary
                .iter()
                .filter(|(_, t)| t.deadline <= now)
                .map(|(name, _)| name.clone())
                .collect();
            due.into_iter()
                .filter_map(|name| {
                    let old = inner.value(&name)?;
                    inner.temporary.remove(&name);
                    let new = inner.value(&name)?;
                    Some((inner.params.get(&name)?.clone(), old, new))
                })
                .collect()
        };
        expired
            .into_iter()
            .map(|(param, old, new)| {
                tracing::debug!(parameter = %param.name, "Parameter is expired");
                let _ = self.call_on_change(&param, &old, &new);
                param.name.clone()
            })
            .collect()
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.lock().temporary.values().map(|t| t.deadline).min()
    }

    /// Expires temporary values on time until `cancel`; spawn it on the owner's tracker.
    pub async fn run_expiry(self, cancel: CancellationToken) {
        loop {
            let changed = self.changed.notified();
            let deadline = self.next_deadline();
            tokio::select! {
                () = cancel.cancelled() => return,
                () = changed => {}
                () = sleep_until(deadline) => { self.expire_due(); }
            }
        }
    }

    /// The parameters for `config list.{json,yaml}`, sorted by name.
    pub fn list(&self) -> Value {
        let inner = self.lock();
        let items: Vec<Value> = inner
            .params
            .iter()
            .map(|(name, param)| {
                let mut item = serde_json::Map::new();
                item.insert("default".into(), json!(param.default));
                item.insert("description".into(), json!(param.description));
                if let Some(t) = inner.temporary.get(name) {
                    item.insert(
                        "expireAt".into(),
                        json!(t.expire_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
                    );
                }
                if let Some(err) = inner.errors.get(name) {
                    item.insert("lastError".into(), json!(err));
                }
                item.insert("name".into(), json!(name));
                item.insert("value".into(), json!(inner.value(name).unwrap_or_default()));
                Value::Object(item)
            })
            .collect();
        Value::Array(items)
    }

    /// The `config list.text` table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<30} {:<20} {:<20} {:<40}\n",
            "NAME", "VALUE", "EXPIRE AT", "DESCRIPTION"
        );
        if let Value::Array(items) = self.list() {
            for item in items {
                let field = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                let description = match item.get("lastError").and_then(Value::as_str) {
                    Some(err) => format!("Error: {err}"),
                    None => field("description"),
                };
                let _ = writeln!(
                    out,
                    "{:<30} {:<20} {:<20} {:<40}",
                    field("name"),
                    field("value"),
                    field("expireAt"),
                    description
                );
            }
        }
        out
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use std::sync::Mutex as StdMutex;

    fn config_with_log_level() -> (RuntimeConfig, Arc<StdMutex<Vec<String>>>) {
        let applied = Arc::new(StdMutex::new(Vec::new()));
        let seen = applied.clone();
        let config = RuntimeConfig::new();
        config.register(Parameter::log_level(
            "INFO",
            Box::new(move |_, new| {
                seen.lock().unwrap().push(new.to_owned());
                Ok(())
            }),
        ));
        (config, applied)
    }

    #[tokio::test(start_paused = true)]
    async fn debug_level_without_duration_reverts_after_thirty_minutes() {
        let (config, applied) = config_with_log_level();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(config.clone().run_expiry(cancel.clone()));
        config.set(LOG_LEVEL, "debug", None).unwrap();
        assert_eq!(config.value(LOG_LEVEL).unwrap(), "debug");
        tokio::time::sleep(DEBUG_LEVEL_DURATION - Duration::from_secs(1)).await;
        assert_eq!(config.value(LOG_LEVEL).unwrap(), "debug");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(config.value(LOG_LEVEL).unwrap(), "info");
        assert_eq!(*applied.lock().unwrap(), vec!["debug", "info"]);
        cancel.cancel();
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn an_explicit_duration_wins_over_the_forced_one() {
        let (config, _) = config_with_log_level();
        let cancel = CancellationToken::new();
        let task = tokio::spawn(config.clone().run_expiry(cancel.clone()));
        config
            .set(LOG_LEVEL, "debug", Some(Duration::from_secs(10)))
            .unwrap();
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(config.value(LOG_LEVEL).unwrap(), "info");
        cancel.cancel();
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_debug_level_without_duration_stays() {
        let (config, _) = config_with_log_level();
        config.set(LOG_LEVEL, "error", None).unwrap();
        tokio::time::sleep(DEBUG_LEVEL_DURATION * 2).await;
        assert!(config.expire_due().is_empty());
        assert_eq!(config.value(LOG_LEVEL).unwrap(), "error");
        assert!(config.table().contains("log.level"));
    }

    #[test]
    fn unknown_names_and_bad_levels_are_refused() {
        let (config, _) = config_with_log_level();
        assert_eq!(
            config.set("nope", "x", None),
            Err(SetError::Unknown("nope".into()))
        );
        assert!(matches!(
            config.set(LOG_LEVEL, "loud", None),
            Err(SetError::Invalid(_))
        ));
        assert_eq!(config.value(LOG_LEVEL).unwrap(), "info");
    }

    #[test]
    fn list_shows_expiry_only_for_temporary_values() {
        let (config, _) = config_with_log_level();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(config.list()[0].get("expireAt").is_none());
            config.set(LOG_LEVEL, "debug", None).unwrap();
            assert!(
                config.list()[0]["expireAt"]
                    .as_str()
                    .unwrap()
                    .ends_with('Z')
            );
        });
    }
}
