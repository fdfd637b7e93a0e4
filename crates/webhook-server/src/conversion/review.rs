//! Running a ConversionReview through a chain of hooks and building the reply.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::admission::ReviewRequest;
use crate::runner::WebhookHookRunner;

use super::graph::{ConversionGraph, versions_match};

/// Message when a hook wrote an empty conversion response file.
pub const EMPTY_RESPONSE_MESSAGE: &str = "handle ConversionReview: hook task prop error";

/// The conversion response file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ResponseFile {
    converted_objects: Vec<Value>,
    failed_message: String,
}

/// `response` for a successful conversion.
pub fn conversion_success(uid: Value, objects: Vec<Value>) -> Value {
    json!({ "uid": uid, "convertedObjects": objects, "result": { "status": "Success" } })
}

/// `response` for a failed conversion.
pub fn conversion_failure(uid: Value, message: &str) -> Value {
    json!({ "uid": uid, "convertedObjects": [], "result": { "status": "Failure", "message": message } })
}

fn api_version(object: &Value) -> &str {
    object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Converts `review.request.objects` to `desiredAPIVersion` through the hooks of `crd_name`
/// and returns the `response` of the ConversionReview.
///
/// For each distinct source apiVersion in order of first appearance, the chain from it to the
/// desired version runs hook by hook, each hook getting the objects the previous one returned;
/// the loop stops once every object has the desired apiVersion.
pub async fn convert(
    graph: &ConversionGraph,
    runner: &dyn WebhookHookRunner,
    crd_name: &str,
    review: &ReviewRequest,
) -> Value {
    let uid = review.uid();
    let desired = review
        .request
        .get("desiredAPIVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut objects = match review.request.get("objects") {
        Some(Value::Array(objects)) => objects.clone(),
        _ => Vec::new(),
    };
    let mut sources: Vec<String> = Vec::new();
    for object in &objects {
        let version = api_version(object);
        if !sources.iter().any(|s| s == version) {
            sources.push(version.to_owned());
        }
    }
    for source in sources {
        if objects.iter().all(|o| api_version(o) == desired) {
            break;
        }
        if versions_match(&source, &desired) {
            continue;
        }
        let chain = graph.find_chain(crd_name, &source, &desired);
        if chain.is_empty() {
            let message = format!("Conversion {crd_name} to {desired} was not successful");
            return conversion_failure(uid, &message);
        }
        for step in &chain {
            let mut request: Map<String, Value> = review.request.clone();
            request.insert("objects".to_owned(), Value::Array(objects.clone()));
            let hook_review = Arc::new(json!({ "request": request }));
            let sent = objects.len();
            let bytes = match runner.run_conversion(step, hook_review).await {
                Ok(bytes) => bytes,
                Err(err) => {
                    tracing::error!(crd = crd_name, hook = %step.binding.hook, error = %error_report::Report(&err), "conversion hook failed");
                    return conversion_failure(
                        uid,
                        &format!("Hook failed to convert to {desired}"),
                    );
                }
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return conversion_failure(uid, EMPTY_RESPONSE_MESSAGE);
            }
            let file: ResponseFile = match serde_json::from_slice(&bytes) {
                Ok(file) => file,
                Err(err) => {
                    let message = format!("invalid conversion response file: {err}");
                    return conversion_failure(uid, &message);
                }
            };
            if !file.failed_message.is_empty() {
                return conversion_failure(uid, &file.failed_message);
            }
            if file.converted_objects.len() != sent {
                let message = format!(
                    "hook returned {} objects instead of {sent}",
                    file.converted_objects.len()
                );
                return conversion_failure(uid, &message);
            }
            objects = file.converted_objects;
        }
    }
    conversion_success(uid, objects)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::future::BoxFuture;
    use hook_config::ConversionRule;

    use super::*;
    use crate::admission::parse_review;
    use crate::conversion::ConversionStep;
    use crate::runner::{BindingRef, HookFailed};

    /// Converts by rewriting apiVersion of objects at the rule's source version, recording
    /// each step and the desiredAPIVersion it saw.
    #[derive(Default)]
    struct Rewriter {
        seen: Mutex<Vec<(String, String, String)>>,
        reply: Option<&'static str>,
    }

    impl WebhookHookRunner for Rewriter {
        fn run_admission<'a>(
            &'a self,
            _binding: &'a BindingRef,
            _review: Arc<Value>,
        ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>> {
            Box::pin(async { Ok(Vec::new()) })
        }

        fn run_conversion<'a>(
            &'a self,
            step: &'a ConversionStep,
            review: Arc<Value>,
        ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>> {
            Box::pin(async move {
                let desired = review["request"]["desiredAPIVersion"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                if let Ok(mut seen) = self.seen.lock() {
                    seen.push((
                        step.rule.from_version.clone(),
                        step.rule.to_version.clone(),
                        desired,
                    ));
                }
                if let Some(reply) = self.reply {
                    return Ok(reply.as_bytes().to_vec());
                }
                let version = step.rule.to_version.rsplit('/').next().unwrap_or("");
                let target = format!("example.com/{version}");
                let objects: Vec<Value> = review["request"]["objects"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut o| {
                        if versions_match(api_version(&o), &step.rule.from_version) {
                            o["apiVersion"] = json!(target);
                        }
                        o
                    })
                    .collect();
                Ok(serde_json::to_vec(&json!({ "convertedObjects": objects })).unwrap_or_default())
            })
        }
    }

    fn graph() -> ConversionGraph {
        let mut graph = ConversionGraph::new();
        let binding = BindingRef {
            hook: "h".to_owned(),
            binding: "conv".to_owned(),
        };
        let rules: Vec<ConversionRule> = [("v1", "v2"), ("v2", "v3"), ("v3", "v2"), ("v2", "v1")]
            .iter()
            .map(|(f, t)| ConversionRule {
                from_version: format!("example.com/{f}"),
                to_version: format!("example.com/{t}"),
            })
            .collect();
        graph.add(&binding, "crd", &rules);
        graph
    }

    fn review(objects: &[&str], desired: &str) -> ReviewRequest {
        let objects: Vec<Value> = objects
            .iter()
            .map(|v| json!({"apiVersion": format!("example.com/{v}"), "kind": "X"}))
            .collect();
        let body = json!({"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview",
            "request":{"uid":"u","desiredAPIVersion":format!("example.com/{desired}"),"objects":objects}});
        parse_review(body.to_string().as_bytes()).unwrap()
    }

    #[tokio::test]
    async fn multi_step_chain_runs_hook_by_hook_keeping_desired_version() {
        let runner = Rewriter::default();
        let reply = convert(&graph(), &runner, "crd", &review(&["v1", "v1"], "v3")).await;
        assert_eq!(reply["result"]["status"], json!("Success"));
        assert_eq!(
            reply["convertedObjects"],
            json!([{"apiVersion":"example.com/v3","kind":"X"},{"apiVersion":"example.com/v3","kind":"X"}])
        );
        let seen = runner.seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                (
                    "example.com/v1".into(),
                    "example.com/v2".into(),
                    "example.com/v3".into()
                ),
                (
                    "example.com/v2".into(),
                    "example.com/v3".into(),
                    "example.com/v3".into()
                ),
            ]
        );
    }

    #[tokio::test]
    async fn mixed_source_versions_are_converted_in_order_of_first_appearance() {
        let runner = Rewriter::default();
        let reply = convert(&graph(), &runner, "crd", &review(&["v3", "v1", "v2"], "v2")).await;
        assert_eq!(reply["result"]["status"], json!("Success"));
        let versions: Vec<&str> = reply["convertedObjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(api_version)
            .collect();
        assert_eq!(versions, vec!["example.com/v2"; 3]);
        let first = runner.seen.lock().unwrap()[0].0.clone();
        assert_eq!(first, "example.com/v3");
    }

    #[tokio::test]
    async fn objects_already_at_desired_version_run_no_hook() {
        let runner = Rewriter::default();
        let reply = convert(&graph(), &runner, "crd", &review(&["v2"], "v2")).await;
        assert_eq!(reply["result"]["status"], json!("Success"));
        assert!(runner.seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn missing_path_fails_naming_crd_and_version() {
        let runner = Rewriter::default();
        let reply = convert(&graph(), &runner, "crd", &review(&["v1"], "v9")).await;
        assert_eq!(
            reply["result"],
            json!({"status":"Failure","message":"Conversion crd to example.com/v9 was not successful"})
        );
    }

    #[tokio::test]
    async fn wrong_object_count_fails_with_upstream_message() {
        let runner = Rewriter {
            reply: Some(r#"{"convertedObjects":[]}"#),
            ..Rewriter::default()
        };
        let reply = convert(&graph(), &runner, "crd", &review(&["v1", "v1"], "v2")).await;
        assert_eq!(
            reply["result"]["message"],
            json!("hook returned 0 objects instead of 2")
        );
    }

    #[tokio::test]
    async fn failed_message_is_returned_as_failure() {
        let runner = Rewriter {
            reply: Some(r#"{"failedMessage":"cannot"}"#),
            ..Rewriter::default()
        };
        let reply = convert(&graph(), &runner, "crd", &review(&["v1"], "v2")).await;
        assert_eq!(
            reply["result"],
            json!({"status":"Failure","message":"cannot"})
        );
    }

    #[tokio::test]
    async fn empty_response_file_fails_with_prop_error() {
        let runner = Rewriter {
            reply: Some(""),
            ..Rewriter::default()
        };
        let reply = convert(&graph(), &runner, "crd", &review(&["v1"], "v2")).await;
        assert_eq!(reply["result"]["message"], json!(EMPTY_RESPONSE_MESSAGE));
    }
}
