//! What the HTTP and debug servers see of the engine. The servers start before the hooks are
//! loaded (as upstream), so the engine's parts are attached here once they exist.

use std::sync::{Arc, OnceLock};

use binding_context::Items;
use hook_engine::{EngineTask, HookRegistry, SnapshotSource};
use task_queue::QueueSet;

/// The engine's queues, hooks and snapshots, empty until [`EngineView::attach`].
#[derive(Default)]
pub struct EngineView {
    parts: OnceLock<Parts>,
}

struct Parts {
    queues: QueueSet<EngineTask>,
    registry: Arc<HookRegistry>,
    snapshots: Arc<dyn SnapshotSource>,
}

impl std::fmt::Debug for EngineView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineView")
            .field("attached", &self.parts.get().is_some())
            .finish()
    }
}

impl EngineView {
    /// Attaches the engine's parts; later calls are ignored.
    pub fn attach(
        &self,
        queues: QueueSet<EngineTask>,
        registry: Arc<HookRegistry>,
        snapshots: Arc<dyn SnapshotSource>,
    ) {
        let _ = self.parts.set(Parts {
            queues,
            registry,
            snapshots,
        });
    }

    /// The queues, once the engine exists.
    pub fn queues(&self) -> Option<&QueueSet<EngineTask>> {
        self.parts.get().map(|p| &p.queues)
    }

    /// The loaded hooks, once the engine exists.
    pub fn registry(&self) -> Option<&Arc<HookRegistry>> {
        self.parts.get().map(|p| &p.registry)
    }

    /// The current objects of one binding of one hook (empty before the engine exists).
    pub fn snapshot(&self, hook: &str, binding: &str) -> Items {
        match self.parts.get() {
            Some(parts) => parts.snapshots.snapshot(hook, binding),
            None => Vec::new().into(),
        }
    }
}
