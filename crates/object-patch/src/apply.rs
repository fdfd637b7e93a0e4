//! Executing operations against the cluster; every operation runs, failures are collected.

use std::time::Duration;

use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube_events::{KindResolver, ResolvedKind};
use serde_json::Value;

use crate::error::{FailedOperation, OperationError, PatchErrors};
use crate::operation::{Action, CreateMode, DeleteMode, Operation, Target};

/// Settings of [`ObjectPatcher`].
#[derive(Debug, Clone, Copy)]
pub struct PatcherConfig {
    /// How often a foreground delete checks whether the object is gone.
    pub delete_poll: Duration,
    /// How long a foreground delete waits for the object to be gone.
    pub delete_timeout: Duration,
    /// Attempts of read-modify-write operations on conflicts.
    pub conflict_attempts: u32,
}

impl Default for PatcherConfig {
    fn default() -> Self {
        Self {
            delete_poll: Duration::from_secs(1),
            delete_timeout: Duration::from_secs(20),
            conflict_attempts: 5,
        }
    }
}

/// Runs patch-file operations with a kube client.
#[derive(Clone)]
pub struct ObjectPatcher {
    client: Client,
    resolver: KindResolver,
    config: PatcherConfig,
}

impl ObjectPatcher {
    /// A patcher using `client`.
    pub fn new(client: Client, config: PatcherConfig) -> Self {
        Self {
            resolver: KindResolver::new(client.clone()),
            client,
            config,
        }
    }

    /// Runs every operation in order, even after failures; returns all failures together.
    pub async fn apply_all(&self, operations: &[Operation]) -> Result<(), PatchErrors> {
        let mut failed = Vec::new();
        for op in operations {
            if let Err(error) = self.apply(op).await {
                tracing::error!(operation = %op.description(), error = %error_report::Report(&error), "object patch operation failed");
                failed.push(FailedOperation {
                    description: op.description(),
                    error,
                });
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(PatchErrors(failed))
        }
    }

    /// Runs one operation.
    pub async fn apply(&self, op: &Operation) -> Result<(), OperationError> {
        match &op.action {
            Action::Create { object, mode } => self.create(object, *mode).await,
            Action::Delete(mode) => self.delete(op, *mode).await,
            Action::JqPatch(filter) => self.jq_patch(op, filter).await,
            Action::MergePatch(patch) => self.patch(op, &Patch::Merge(patch)).await,
            Action::JsonPatch(patch) => self.patch(op, &Patch::Json::<()>(patch.clone())).await,
        }
    }

    async fn api(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
    ) -> Result<Api<DynamicObject>, OperationError> {
        let api_version = Some(api_version).filter(|v| !v.is_empty());
        let ResolvedKind {
            resource,
            namespaced,
        } = self
            .resolver
            .resolve(api_version, kind)
            .await
            .map_err(OperationError::Resolve)?;
        Ok(if namespaced && !namespace.is_empty() {
            Api::namespaced_with(self.client.clone(), namespace, &resource)
        } else {
            Api::all_with(self.client.clone(), &resource)
        })
    }

    async fn target_api(&self, target: &Target) -> Result<Api<DynamicObject>, OperationError> {
        self.api(&target.api_version, &target.kind, &target.namespace)
            .await
    }

    async fn create(&self, object: &Value, mode: CreateMode) -> Result<(), OperationError> {
        let field = |f: &str| object.get(f).and_then(Value::as_str).unwrap_or_default();
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let api = self
            .api(field("apiVersion"), field("kind"), namespace)
            .await?;
        let dynamic: DynamicObject =
            serde_json::from_value(object.clone()).map_err(OperationError::InvalidObject)?;
        let name = dynamic.metadata.name.clone().unwrap_or_default();
        match api.create(&PostParams::default(), &dynamic).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status))
                if status.code == 409 && status.reason == "AlreadyExists" =>
            {
                match mode {
                    CreateMode::Create => Err(OperationError::Api {
                        step: "create",
                        source: kube::Error::Api(status),
                    }),
                    CreateMode::IfNotExists => Ok(()),
                    CreateMode::OrUpdate => {
                        for _ in 0..self.config.conflict_attempts {
                            let current =
                                api.get(&name).await.map_err(|source| OperationError::Api {
                                    step: "get",
                                    source,
                                })?;
                            let mut update = dynamic.clone();
                            update.metadata.resource_version = current.metadata.resource_version;
                            match api.replace(&name, &PostParams::default(), &update).await {
                                Ok(_) => return Ok(()),
                                Err(kube::Error::Api(status)) if status.code == 409 => {}
                                Err(source) => {
                                    return Err(OperationError::Api {
                                        step: "update",
                                        source,
                                    });
                                }
                            }
                        }
                        Err(OperationError::Conflict(self.config.conflict_attempts))
                    }
                }
            }
            Err(source) => Err(OperationError::Api {
                step: "create",
                source,
            }),
        }
    }

    async fn delete(&self, op: &Operation, mode: DeleteMode) -> Result<(), OperationError> {
        let api = self.target_api(&op.target).await?;
        let name = &op.target.name;
        let params = match mode {
            DeleteMode::Foreground => DeleteParams::foreground(),
            DeleteMode::Background => DeleteParams::background(),
            DeleteMode::NonCascading => DeleteParams::orphan(),
        };
        match api.delete(name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
            Err(source) => {
                return Err(OperationError::Api {
                    step: "delete",
                    source,
                });
            }
        }
        if mode != DeleteMode::Foreground {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + self.config.delete_timeout;
        loop {
            match api.get_opt(name).await {
                Ok(None) => return Ok(()),
                Ok(Some(_)) => {}
                Err(source) => {
                    return Err(OperationError::Api {
                        step: "get",
                        source,
                    });
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(OperationError::DeleteTimeout(self.config.delete_timeout));
            }
            tokio::time::sleep(self.config.delete_poll).await;
        }
    }

    async fn jq_patch(
        &self,
        op: &Operation,
        filter: &jq_filter::JqFilter,
    ) -> Result<(), OperationError> {
        let api = self.target_api(&op.target).await?;
        let name = &op.target.name;
        for _ in 0..self.config.conflict_attempts {
            let current = match api.get(name).await {
                Ok(current) => current,
                Err(kube::Error::Api(status)) if status.code == 404 && op.ignore_missing_object => {
                    return Ok(());
                }
                Err(source) => {
                    return Err(OperationError::Api {
                        step: "get",
                        source,
                    });
                }
            };
            let before = serde_json::to_value(&current).map_err(OperationError::InvalidObject)?;
            let after = filter
                .apply(&before)
                .map_err(OperationError::JqFilter)?
                .result;
            if after == before {
                return Ok(());
            }
            let result = if op.target.subresource.is_empty() {
                let object: DynamicObject =
                    serde_json::from_value(after).map_err(OperationError::InvalidObject)?;
                api.replace(name, &PostParams::default(), &object).await
            } else {
                api.replace_subresource(
                    &op.target.subresource,
                    name,
                    &PostParams::default(),
                    &after,
                )
                .await
            };
            match result {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                Err(source) => {
                    return Err(OperationError::Api {
                        step: "update",
                        source,
                    });
                }
            }
        }
        Err(OperationError::Conflict(self.config.conflict_attempts))
    }

    async fn patch<P: serde::Serialize + std::fmt::Debug>(
        &self,
        op: &Operation,
        patch: &Patch<P>,
    ) -> Result<(), OperationError> {
        let api = self.target_api(&op.target).await?;
        let name = &op.target.name;
        let params = PatchParams::default();
        let result = if op.target.subresource.is_empty() {
            api.patch(name, &params, patch).await
        } else {
            api.patch_subresource(&op.target.subresource, name, &params, patch)
                .await
        };
        match result {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 && op.ignore_missing_object => {
                Ok(())
            }
            Err(source) => Err(OperationError::Api {
                step: "patch",
                source,
            }),
        }
    }
}
