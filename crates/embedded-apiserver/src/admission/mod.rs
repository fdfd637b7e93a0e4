//! Dynamic admission: calling mutating and validating webhooks the way the real server does.
//!
//! Mutating webhooks run first, one after another (configurations sorted by name, webhooks in
//! order), each seeing the object as patched so far; webhooks with `reinvocationPolicy: IfNeeded`
//! run once more when a later webhook changed the object. Validating webhooks then see the final
//! object and run concurrently; the first denial in configuration order wins.
//!
//! Not evaluated: `matchConditions` (CEL). A webhook with conditions is called as if they held,
//! so it sees more requests than on a real server, never fewer.

pub mod config;
mod review;
mod rules;
pub mod validate;

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};

use crate::conversion::Converter;
use crate::objects::new_uid;
use crate::resources::{ResourceType, StorageKey, version_priority};
use crate::status::{ApiError, Target};
use crate::store::Store;
use crate::webhook;
use config::{Phase, Webhook};
pub use rules::Operation;
use rules::{Addressed, Selector};

/// One request under admission.
#[derive(Debug, Clone)]
pub struct Attributes {
    /// The operation.
    pub operation: Operation,
    /// Resource and version of the request.
    pub rt: Arc<ResourceType>,
    /// Subresource, empty for the main resource.
    pub sub: String,
    /// Object name (empty for a `generateName` create before the name is chosen).
    pub name: String,
    /// Namespace, empty for cluster scope.
    pub namespace: String,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// The options object sent to webhooks.
    pub options: Value,
}

impl Attributes {
    fn addressed<'a>(&'a self, rt: &'a ResourceType) -> Addressed<'a> {
        Addressed {
            operation: self.operation,
            group: &rt.group,
            version: &rt.version,
            resource: &rt.plural,
            sub: &self.sub,
            namespaced: rt.namespaced,
        }
    }

    fn is_scale(&self) -> bool {
        self.sub == "scale"
    }
}

/// The webhook configurations as last parsed, keyed by the names and versions they came from.
struct Snapshot {
    fingerprint: Vec<(String, u64)>,
    mutating: Arc<Vec<Webhook>>,
    validating: Arc<Vec<Webhook>>,
}

/// Calls admission webhooks for the API handlers.
pub struct Admission {
    client: Arc<webhook::Client>,
    converter: Arc<Converter>,
    store: Arc<Store>,
    snapshot: Mutex<Option<Snapshot>>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission").finish_non_exhaustive()
    }
}

/// Why a matched webhook gave no usable answer (subject to its `failurePolicy`).
struct CallFailure(String);

/// How a webhook is called for a request: at the request's version, or an equivalent one.
struct Invocation {
    rt: Arc<ResourceType>,
}

fn config_key(plural: &str) -> StorageKey {
    StorageKey::new(config::GROUP, plural)
}

fn labels(obj: &Value) -> Option<&serde_json::Map<String, Value>> {
    obj.pointer("/metadata/labels").and_then(Value::as_object)
}

impl Admission {
    /// Admission over the configurations in `store`, calling through `client`.
    pub fn new(client: Arc<webhook::Client>, converter: Arc<Converter>, store: Arc<Store>) -> Self {
        Self {
            client,
            converter,
            store,
            snapshot: Mutex::new(None),
        }
    }

    /// The configured webhooks of both phases, parsed again only when a configuration changed.
    fn webhooks(&self) -> (Arc<Vec<Webhook>>, Arc<Vec<Webhook>>) {
        let (fingerprint, objects) = self.store.read(|s| {
            let mut fingerprint = Vec::new();
            let mut objects = Vec::new();
            for plural in [config::MUTATING, config::VALIDATING] {
                for ((_, name), obj) in s.table(&config_key(plural)).into_iter().flatten() {
                    fingerprint.push((format!("{plural}/{name}"), obj.resource_version()));
                    objects.push((plural, obj.clone()));
                }
            }
            (fingerprint, objects)
        });
        let mut cached = self.snapshot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = cached.as_ref().filter(|s| s.fingerprint == fingerprint) {
            return (s.mutating.clone(), s.validating.clone());
        }
        let mut mutating = Vec::new();
        let mut validating = Vec::new();
        // Tables iterate by name, which is the order the real server sorts configurations in.
        for (plural, obj) in &objects {
            match *plural {
                config::MUTATING => mutating.extend(config::parse(&obj.value(), Phase::Mutating)),
                _ => validating.extend(config::parse(&obj.value(), Phase::Validating)),
            }
        }
        let snapshot = Snapshot {
            fingerprint,
            mutating: Arc::new(mutating),
            validating: Arc::new(validating),
        };
        let out = (snapshot.mutating.clone(), snapshot.validating.clone());
        *cached = Some(snapshot);
        out
    }

    /// Whether any webhook could be called for `rt`/`sub` with one of `operations`: a cheap
    /// check that lets writes without webhooks skip the admission path entirely.
    pub fn may_apply(&self, rt: &ResourceType, sub: &str, operations: &[Operation]) -> bool {
        if exempt(rt) {
            return false;
        }
        let (mutating, validating) = self.webhooks();
        mutating.iter().chain(validating.iter()).any(|hook| {
            hook.rules.iter().any(|rule| {
                rule.may_match(&rt.group, &rt.plural, sub)
                    && operations.iter().any(|op| rule.covers(*op))
            })
        })
    }

    /// Runs the mutating webhooks; returns the object as they left it.
    pub async fn mutate(
        &self,
        attrs: &Attributes,
        object: Option<Value>,
        old: Option<&Value>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Value>, ApiError> {
        if exempt(&attrs.rt) {
            return Ok(object);
        }
        let (hooks, _) = self.webhooks();
        let mut object = object;
        // Reinvocable webhooks that ran, with the object as they left it.
        let mut reinvocable: Vec<(usize, Option<Value>)> = Vec::new();
        for (i, hook) in hooks.iter().enumerate() {
            let Some(inv) = self.invocation(hook, attrs, object.as_ref(), old)? else {
                continue;
            };
            object = self
                .mutate_one(hook, attrs, &inv, object, old, warnings)
                .await?;
            if hook.reinvoke_if_needed {
                reinvocable.push((i, object.clone()));
            }
        }
        for (i, left) in reinvocable {
            if left == object {
                continue;
            }
            let hook = &hooks[i];
            if let Some(inv) = self.invocation(hook, attrs, object.as_ref(), old)? {
                object = self
                    .mutate_one(hook, attrs, &inv, object, old, warnings)
                    .await?;
            }
        }
        Ok(object)
    }

    /// Runs the validating webhooks against the final object.
    pub async fn validate(
        &self,
        attrs: &Attributes,
        object: Option<&Value>,
        old: Option<&Value>,
        warnings: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        if exempt(&attrs.rt) {
            return Ok(());
        }
        let (_, hooks) = self.webhooks();
        let mut calls = Vec::new();
        for hook in hooks.iter() {
            if let Some(inv) = self.invocation(hook, attrs, object, old)? {
                calls.push(async move {
                    let (object, old) = self.at_version(&inv, attrs, object, old).await?;
                    let verdict = self
                        .call(
                            hook,
                            Phase::Validating,
                            attrs,
                            &inv,
                            object.as_ref(),
                            old.as_ref(),
                        )
                        .await;
                    Ok::<_, ApiError>((hook, verdict))
                });
            }
        }
        let mut first_error = None;
        for result in futures::future::join_all(calls).await {
            let outcome = result.and_then(|(hook, verdict)| settle(hook, verdict, warnings));
            if let Err(e) = outcome {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn mutate_one(
        &self,
        hook: &Webhook,
        attrs: &Attributes,
        inv: &Invocation,
        object: Option<Value>,
        old: Option<&Value>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Value>, ApiError> {
        let (call_object, call_old) = self.at_version(inv, attrs, object.as_ref(), old).await?;
        let verdict = self
            .call(
                hook,
                Phase::Mutating,
                attrs,
                inv,
                call_object.as_ref(),
                call_old.as_ref(),
            )
            .await;
        let Some(patch) = settle(hook, verdict, warnings)? else {
            return Ok(object);
        };
        // A DELETE has no object to patch; the real server ignores such patches too.
        let Some(mut patched) = call_object else {
            return Ok(object);
        };
        let patch: json_patch::Patch =
            serde_json::from_slice(&patch).map_err(|e| ApiError::internal_error(&e.to_string()))?;
        json_patch::patch(&mut patched, &patch)
            .map_err(|e| ApiError::internal_error(&e.to_string()))?;
        if inv.rt.version == attrs.rt.version || attrs.is_scale() {
            return Ok(Some(patched));
        }
        let back = self
            .converter
            .convert_one(&attrs.rt, Arc::new(patched))
            .await?;
        Ok(Some(Arc::unwrap_or_clone(back)))
    }

    /// The object and old object as the webhook expects them (converted for equivalent matches).
    async fn at_version(
        &self,
        inv: &Invocation,
        attrs: &Attributes,
        object: Option<&Value>,
        old: Option<&Value>,
    ) -> Result<(Option<Value>, Option<Value>), ApiError> {
        if inv.rt.version == attrs.rt.version || attrs.is_scale() {
            return Ok((object.cloned(), old.cloned()));
        }
        let mut out = Vec::new();
        for v in [object, old] {
            out.push(match v {
                Some(v) => Some(Arc::unwrap_or_clone(
                    self.converter
                        .convert_one(&inv.rt, Arc::new(v.clone()))
                        .await?,
                )),
                None => None,
            });
        }
        let old = out.pop().flatten();
        Ok((out.pop().flatten(), old))
    }

    /// Whether and how `hook` is called for the request, as the real server's `ShouldCallHook`.
    fn invocation(
        &self,
        hook: &Webhook,
        attrs: &Attributes,
        object: Option<&Value>,
        old: Option<&Value>,
    ) -> Result<Option<Invocation>, ApiError> {
        let direct = hook
            .rules
            .iter()
            .any(|r| r.matches(&attrs.addressed(&attrs.rt)));
        let rt = if direct {
            attrs.rt.clone()
        } else if hook.match_equivalent {
            match self.equivalent(hook, attrs) {
                Some(rt) => rt,
                None => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        if !self.namespace_matches(&hook.namespace_selector, attrs, object)? {
            return Ok(None);
        }
        if !hook.object_selector.matches_objects(object, old) {
            return Ok(None);
        }
        if attrs.dry_run && !hook.dry_run_safe {
            return Err(ApiError::bad_request(format!(
                "admission webhook {:?} does not support dry run",
                hook.name
            )));
        }
        Ok(Some(Invocation { rt }))
    }

    /// Another served version of the same resource the hook's rules name.
    fn equivalent(&self, hook: &Webhook, attrs: &Attributes) -> Option<Arc<ResourceType>> {
        let mut versions: Vec<Arc<ResourceType>> = self.store.read(|s| {
            s.registry
                .all()
                .filter(|rt| {
                    rt.group == attrs.rt.group
                        && rt.plural == attrs.rt.plural
                        && rt.version != attrs.rt.version
                })
                .cloned()
                .collect()
        });
        versions.sort_by_key(|rt| std::cmp::Reverse(version_priority(&rt.version)));
        versions
            .into_iter()
            .find(|rt| hook.rules.iter().any(|r| r.matches(&attrs.addressed(rt))))
    }

    fn namespace_matches(
        &self,
        selector: &Selector,
        attrs: &Attributes,
        object: Option<&Value>,
    ) -> Result<bool, ApiError> {
        let is_namespace = attrs.rt.group.is_empty() && attrs.rt.plural == "namespaces";
        if selector.is_empty() || (!attrs.rt.namespaced && !is_namespace) {
            // Cluster-scoped objects other than namespaces are never exempted.
            return Ok(true);
        }
        if is_namespace
            && attrs.sub.is_empty()
            && matches!(attrs.operation, Operation::Create | Operation::Update)
        {
            return Ok(selector.matches(object.and_then(labels)));
        }
        let name = if is_namespace {
            &attrs.name
        } else {
            &attrs.namespace
        };
        let ns = self
            .store
            .read(|s| {
                s.stored(&StorageKey::new("", "namespaces"), "", name)
                    .cloned()
            })
            .map(|ns| ns.value());
        match ns {
            Some(ns) => Ok(selector.matches(labels(&ns))),
            None => Err(ApiError::not_found(Target {
                group: "",
                plural: "namespaces",
                name,
            })),
        }
    }

    async fn call(
        &self,
        hook: &Webhook,
        phase: Phase,
        attrs: &Attributes,
        inv: &Invocation,
        object: Option<&Value>,
        old: Option<&Value>,
    ) -> Result<review::Verdict, CallFailure> {
        let client = hook
            .client
            .as_ref()
            .ok_or_else(|| CallFailure("the webhook's clientConfig is not usable".to_owned()))?;
        let version = hook.review_version.ok_or_else(|| {
            CallFailure("webhook does not accept known AdmissionReview versions".to_owned())
        })?;
        let request_kind = gvk(&attrs.rt, attrs, false);
        let fields = review::Fields {
            kind: gvk(&inv.rt, attrs, false),
            resource: gvk(&inv.rt, attrs, true),
            sub: &attrs.sub,
            request_kind,
            request_resource: gvk(&attrs.rt, attrs, true),
            name: &attrs.name,
            namespace: if attrs.rt.namespaced {
                &attrs.namespace
            } else {
                ""
            },
            operation: attrs.operation,
            object,
            old_object: old,
            dry_run: attrs.dry_run,
            options: &attrs.options,
        };
        let uid = new_uid();
        let body = serde_json::to_vec(&review::request(version, &uid, &fields))
            .map_err(|e| CallFailure(format!("failed to call webhook: {e}")))?;
        let answer = self
            .client
            .post(client, hook.timeout, body)
            .await
            .map_err(|e| CallFailure(format!("failed to call webhook: {e}")))?;
        review::response(version, &uid, phase == Phase::Mutating, &answer)
            .map_err(|e| CallFailure(e.to_string()))
    }
}

/// Group/version/kind (or resource) a webhook sees; the scale subresource speaks `autoscaling/v1 Scale`.
fn gvk(rt: &ResourceType, attrs: &Attributes, resource: bool) -> review::Gvk {
    if resource {
        return review::Gvk {
            group: rt.group.clone(),
            version: rt.version.clone(),
            name: rt.plural.clone(),
        };
    }
    if attrs.is_scale() {
        return review::Gvk {
            group: "autoscaling".to_owned(),
            version: "v1".to_owned(),
            name: "Scale".to_owned(),
        };
    }
    review::Gvk {
        group: rt.group.clone(),
        version: rt.version.clone(),
        name: rt.kind.clone(),
    }
}

/// Applies a webhook's answer: warnings, then failure policy, denial or the patch to apply.
fn settle(
    hook: &Webhook,
    verdict: Result<review::Verdict, CallFailure>,
    warnings: &mut Vec<String>,
) -> Result<Option<Vec<u8>>, ApiError> {
    match verdict {
        Err(CallFailure(why)) if hook.ignore_failures => {
            tracing::warn!(
                webhook = %hook.name,
                configuration = %hook.configuration,
                error = %why,
                "failed calling webhook, failing open"
            );
            Ok(None)
        }
        Err(CallFailure(why)) => {
            tracing::warn!(
                webhook = %hook.name,
                configuration = %hook.configuration,
                error = %why,
                "failed calling webhook, failing closed"
            );
            Err(ApiError::internal_error(&format!(
                "failed calling webhook {:?}: {why}",
                hook.name
            )))
        }
        Ok(verdict) => {
            warnings.extend(verdict.warnings);
            if verdict.allowed {
                Ok(verdict.patch)
            } else {
                Err(review::denied(&hook.name, verdict.status.as_ref()))
            }
        }
    }
}

/// Webhook configurations are never sent to webhooks, so a broken webhook cannot lock itself in.
fn exempt(rt: &ResourceType) -> bool {
    Phase::of_plural(&rt.group, &rt.plural).is_some()
}

/// The options object of a request.
pub fn options(
    operation: Operation,
    patch: bool,
    dry_run: bool,
    field_manager: Option<&str>,
) -> Value {
    let mut options = json!({
        "kind": operation.options_kind(patch),
        "apiVersion": "meta.k8s.io/v1",
    });
    if dry_run {
        options["dryRun"] = json!(["All"]);
    }
    if let Some(manager) = field_manager.filter(|_| operation != Operation::Delete) {
        options["fieldManager"] = json!(manager);
    }
    options
}
