//! Watch streams: replay from history or initial state, then live events, bookmarks and timeouts.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use futures::stream::BoxStream;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::present::{item_bytes, served_as_is};
use super::{Call, Reply};
use crate::conversion::Converter;
use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::{ApiError, Cause};
use crate::store::{Event, EventKind, Stored, watch_line};

/// The default lifetime of a watch without `timeoutSeconds`, like the real server's minimum.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// Which objects a watch reports.
struct Filter {
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, namespace: &str, name: &str, obj: &Stored) -> bool {
        self.namespace.as_deref().is_none_or(|ns| ns == namespace)
            && obj.matches(namespace, name, &self.labels, &self.fields)
    }

    /// The event type a client sees for `event`, if any: objects that stop matching are DELETED,
    /// objects that start matching are ADDED.
    fn translate(&self, event: &Event) -> Option<&'static str> {
        let now = self.matches(&event.namespace, &event.name, &event.object);
        let before = event
            .previous
            .as_ref()
            .is_some_and(|p| self.matches(&event.namespace, &event.name, p));
        match event.kind {
            EventKind::Added => now.then_some("ADDED"),
            EventKind::Deleted => before.then_some("DELETED"),
            EventKind::Modified => match (before, now) {
                (true, true) => Some("MODIFIED"),
                (false, true) => Some("ADDED"),
                (true, false) => Some("DELETED"),
                (false, false) => None,
            },
        }
    }
}

/// Where the stream starts.
enum Start {
    /// Synthetic ADDED events for the current state, optionally closed by an initial-events-end bookmark.
    Initial {
        objects: Vec<Arc<Stored>>,
        rv: u64,
        end_bookmark: bool,
    },
    /// Events from history after the requested version.
    Replay { events: Vec<Arc<Event>>, rv: u64 },
    /// The requested version is compacted.
    Expired(ApiError),
}

fn frame(rt: &ResourceType, kind: &str, obj: &Value) -> Bytes {
    watch_line(kind, &item_bytes(rt, obj))
}

fn bookmark(rt: &ResourceType, rv: u64, initial_end: bool) -> Bytes {
    let mut metadata = json!({ "resourceVersion": rv.to_string() });
    if initial_end {
        metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
    }
    let obj = json!({ "kind": rt.kind, "apiVersion": rt.api_version(), "metadata": metadata });
    let line = json!({ "type": "BOOKMARK", "object": obj });
    Bytes::from(format!("{line}\n"))
}

fn error_frame(err: &ApiError) -> Bytes {
    let line = json!({ "type": "ERROR", "object": err.to_status() });
    Bytes::from(format!("{line}\n"))
}

fn forbidden_rv_match(message: &str) -> ApiError {
    ApiError::invalid_field(
        "ListOptions",
        "meta.k8s.io",
        "",
        Cause {
            reason: "FieldValueForbidden".to_owned(),
            message: format!("Forbidden: {message}"),
            field: "resourceVersionMatch".to_owned(),
        },
    )
}

/// GET with `watch=true`.
pub fn watch(call: &Call<'_>) -> Result<Reply, ApiError> {
    let filter = Filter {
        namespace: call.namespace.clone(),
        labels: LabelSelector::parse(&call.params.label_selector)?,
        fields: FieldSelector::parse(&call.params.field_selector)?,
    };
    let requested = match call.params.resource_version.as_deref() {
        None | Some("0") => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!(
                "Invalid value: {text:?}: resourceVersion must be an unsigned integer"
            ))
        })?),
    };
    let send_initial = call.params.send_initial_events;
    let rv_match = call.params.resource_version_match.as_deref();
    match (send_initial, rv_match) {
        (Some(_), Some("NotOlderThan")) | (None, None) => {}
        (Some(_), _) => {
            return Err(forbidden_rv_match(
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        (None, Some(_)) => {
            return Err(forbidden_rv_match(
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
    }
    if send_initial == Some(true) && !call.params.allow_bookmarks {
        return Err(ApiError::invalid_field(
            "ListOptions",
            "meta.k8s.io",
            "",
            Cause {
                reason: "FieldValueForbidden".to_owned(),
                message:
                    "Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true"
                        .to_owned(),
                field: "allowWatchBookmarks".to_owned(),
            },
        ));
    }
    let initial = match send_initial {
        Some(flag) => flag,
        // Without sendInitialEvents, an unset or "0" resourceVersion starts with the current state.
        None => requested.is_none(),
    };
    let key = call.rt.storage_key();
    let (rx, start) = call.srv.store.subscribe(|s| {
        if initial {
            let objects = s
                .table(&key)
                .map(|t| {
                    t.iter()
                        .filter(|((ns, name), obj)| filter.matches(ns, name, obj))
                        .map(|(_, obj)| obj.clone())
                        .collect()
                })
                .unwrap_or_default();
            return Start::Initial {
                objects,
                rv: s.rv,
                end_bookmark: send_initial == Some(true),
            };
        }
        match requested {
            None => Start::Replay {
                events: Vec::new(),
                rv: s.rv,
            },
            Some(rv) => match s.history.since(rv) {
                Ok(events) => Start::Replay { events, rv },
                Err(oldest) => Start::Expired(ApiError::expired(format!(
                    "too old resource version: {rv} ({oldest})"
                ))),
            },
        }
    });
    let stream = Stream {
        rt: call.rt.clone(),
        api_version: call.rt.api_version(),
        filter,
        key,
        bookmarks: call.params.allow_bookmarks,
        bookmark_interval: call.srv.bookmark_interval,
        timeout: call
            .params
            .timeout_seconds
            .map_or(DEFAULT_TIMEOUT, Duration::from_secs),
        cancel: call.srv.faults.watch_token(),
        converter: call.rt.custom.then(|| call.srv.converter.clone()),
    };
    Ok(Reply::Stream(stream.into_body(rx, start)))
}

/// One running watch.
struct Stream {
    rt: Arc<ResourceType>,
    /// `rt`'s apiVersion, for telling whether stored objects can be sent as they are.
    api_version: String,
    filter: Filter,
    key: crate::resources::StorageKey,
    bookmarks: bool,
    bookmark_interval: Duration,
    timeout: Duration,
    cancel: CancellationToken,
    /// Set for custom resources, whose objects may need a conversion webhook.
    converter: Option<Arc<Converter>>,
}

/// What the watch sends next.
enum Step {
    /// A line, and the watch goes on.
    Send(Bytes),
    /// Nothing for this event.
    Skip,
    /// A last line (an ERROR event), then the end.
    Last(Bytes),
}

/// Where a running watch is.
enum Phase {
    /// The initial state, then optionally the initial-events-end bookmark at `end_bookmark`.
    Initial {
        objects: std::vec::IntoIter<Arc<Stored>>,
        end_bookmark: Option<u64>,
    },
    /// Events from history.
    Replay(std::vec::IntoIter<Arc<Event>>),
    /// Live events until cancelled or timed out.
    Live(Box<Live>),
    /// Nothing more to send.
    Done,
}

/// The timers and wake-ups of the live part of a watch.
struct Live {
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    ticker: tokio::time::Interval,
    cancelled: std::pin::Pin<Box<tokio_util::sync::WaitForCancellationFutureOwned>>,
}

/// A watch as the response body polls it: no task or channel between the store's broadcast and
/// the connection, so an event costs each watcher one wake-up.
struct Body {
    watch: Stream,
    rx: broadcast::Receiver<Arc<Event>>,
    phase: Phase,
    last_rv: u64,
}

impl Stream {
    fn into_body(
        self,
        rx: broadcast::Receiver<Arc<Event>>,
        start: Start,
    ) -> BoxStream<'static, Bytes> {
        let (phase, last_rv, first) = match start {
            Start::Expired(err) => (Phase::Done, 0, Some(error_frame(&err))),
            Start::Initial {
                objects,
                rv,
                end_bookmark,
            } => (
                Phase::Initial {
                    objects: objects.into_iter(),
                    end_bookmark: end_bookmark.then_some(rv),
                },
                rv,
                None,
            ),
            Start::Replay { events, rv } => (Phase::Replay(events.into_iter()), rv, None),
        };
        let body = Body {
            watch: self,
            rx,
            phase,
            last_rv,
        };
        let first = futures::stream::iter(first);
        let rest = futures::stream::unfold(body, |mut body| async move {
            let line = body.next().await?;
            Some((line, body))
        });
        first.chain(rest).boxed()
    }

    /// The line of an object of the initial state.
    async fn stored_step(&self, kind: &str, obj: &Stored) -> Step {
        if served_as_is(&self.rt, &self.api_version, obj) {
            return Step::Send(watch_line(kind, obj.json()));
        }
        self.value_step(kind, obj.value()).await
    }

    /// The line of an event, if this watch reports it; shared with every other watcher of `rt`.
    async fn event_step(&self, event: &Event) -> Step {
        if event.storage != self.key {
            return Step::Skip;
        }
        let Some(kind) = self.filter.translate(event) else {
            return Step::Skip;
        };
        if served_as_is(&self.rt, &self.api_version, &event.object) {
            return Step::Send(event.line(kind));
        }
        self.value_step(kind, event.object.value()).await
    }

    /// The line of an object stored in another shape than `rt`'s; a failed conversion gives an
    /// ERROR event that ends the watch.
    async fn value_step(&self, kind: &str, obj: Value) -> Step {
        let obj = Arc::new(obj);
        let converted = match &self.converter {
            Some(c) if c.needs_webhook(&self.rt, &obj) => {
                match c.convert_one(&self.rt, obj.clone()).await {
                    Ok(o) => o,
                    Err(e) => return Step::Last(error_frame(&e)),
                }
            }
            _ => obj,
        };
        Step::Send(frame(&self.rt, kind, &converted))
    }

    fn bookmark(&self, rv: u64) -> Option<Bytes> {
        self.bookmarks.then(|| bookmark(&self.rt, rv, false))
    }

    fn live(&self) -> Live {
        let ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + self.bookmark_interval,
            self.bookmark_interval,
        );
        Live {
            deadline: Box::pin(tokio::time::sleep(self.timeout)),
            ticker,
            cancelled: Box::pin(self.cancel.clone().cancelled_owned()),
        }
    }
}

impl Body {
    /// The next line, or `None` when the watch is over.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            let step = match &mut self.phase {
                Phase::Done => return None,
                Phase::Initial {
                    objects,
                    end_bookmark,
                } => match objects.next() {
                    Some(obj) => self.watch.stored_step("ADDED", &obj).await,
                    None => {
                        let end = end_bookmark.take();
                        self.phase = Phase::Live(Box::new(self.watch.live()));
                        match end {
                            Some(rv) => Step::Send(bookmark(&self.watch.rt, rv, true)),
                            None => Step::Skip,
                        }
                    }
                },
                Phase::Replay(events) => match events.next() {
                    Some(event) => {
                        self.last_rv = event.rv;
                        self.watch.event_step(&event).await
                    }
                    None => {
                        self.phase = Phase::Live(Box::new(self.watch.live()));
                        Step::Skip
                    }
                },
                Phase::Live(live) => {
                    let watch = &self.watch;
                    tokio::select! {
                        biased;
                        () = &mut live.cancelled => return None,
                        () = &mut live.deadline => {
                            self.phase = Phase::Done;
                            return watch.bookmark(self.last_rv);
                        }
                        _ = live.ticker.tick(), if watch.bookmarks => match watch.bookmark(self.last_rv) {
                            Some(line) => Step::Send(line),
                            None => Step::Skip,
                        },
                        received = self.rx.recv() => match received {
                            Ok(event) if event.rv <= self.last_rv => Step::Skip,
                            Ok(event) => {
                                self.last_rv = event.rv;
                                watch.event_step(&event).await
                            }
                            // A watcher that cannot keep up is ended, as the real server does; it re-watches.
                            Err(broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed) => return None,
                        },
                    }
                }
            };
            match step {
                Step::Send(line) => return Some(line),
                Step::Skip => {}
                Step::Last(line) => {
                    self.phase = Phase::Done;
                    return Some(line);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::StorageKey;

    fn event(kind: EventKind, before: Option<&str>, after: &str) -> Event {
        let obj = |app: &str| {
            Arc::new(Stored::new(
                &json!({ "metadata": { "name": "a", "labels": { "app": app } } }),
            ))
        };
        Event::new(
            5,
            kind,
            StorageKey::new("", "pods"),
            "ns".into(),
            "a".into(),
            obj(after),
            before.map(obj),
        )
    }

    fn filter() -> Filter {
        Filter {
            namespace: Some("ns".into()),
            labels: LabelSelector::parse("app=web").unwrap(),
            fields: FieldSelector::default(),
        }
    }

    #[test]
    fn objects_leaving_the_selector_are_reported_deleted() {
        let f = filter();
        assert_eq!(
            f.translate(&event(EventKind::Modified, Some("web"), "db")),
            Some("DELETED")
        );
        assert_eq!(
            f.translate(&event(EventKind::Modified, Some("db"), "web")),
            Some("ADDED")
        );
        assert_eq!(
            f.translate(&event(EventKind::Modified, Some("web"), "web")),
            Some("MODIFIED")
        );
        assert_eq!(
            f.translate(&event(EventKind::Modified, Some("db"), "db")),
            None
        );
    }

    #[test]
    fn deletes_are_reported_when_the_last_state_matched() {
        let f = filter();
        assert_eq!(
            f.translate(&event(EventKind::Deleted, Some("web"), "web")),
            Some("DELETED")
        );
        assert_eq!(
            f.translate(&event(EventKind::Deleted, Some("db"), "db")),
            None
        );
    }

    #[test]
    fn other_namespaces_are_filtered_out() {
        let f = filter();
        let mut e = event(EventKind::Added, None, "web");
        e.namespace = "other".into();
        assert_eq!(f.translate(&e), None);
    }

    #[test]
    fn initial_events_end_bookmark_carries_the_annotation() {
        let rt = crate::resources::Registry::builtin()
            .get("", "v1", "pods")
            .unwrap();
        let b: Value = serde_json::from_slice(&bookmark(&rt, 9, true)).unwrap();
        assert_eq!(b["type"], "BOOKMARK");
        assert_eq!(b["object"]["metadata"]["resourceVersion"], "9");
        assert_eq!(
            b["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
            "true"
        );
    }
}
