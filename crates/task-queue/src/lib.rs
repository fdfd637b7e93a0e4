//! Named task queues with combining, compaction, retries and rate limits.
//!
//! Generic over the task type: the owner says which tasks can be merged ([`QueueTask`]) and
//! how each is handled ([`TaskHandler`]). Each queue runs one task at a time; queues run in
//! parallel; a failed task blocks only its own queue while it waits for its retry.

mod backoff;
mod envelope;
mod handler;
mod list;
mod queue_set;
mod rate_limit;
mod snapshot;
mod task;
mod worker;

pub use backoff::{Jitter, RetryBackoff, random_below};
pub use handler::{TaskContext, TaskHandler, TaskOutcome};
pub use list::{Compaction, DEFAULT_COMPACTION_THRESHOLD, TaskQueue};
pub use queue_set::{
    DEFAULT_REPEAT_DELAY, MAIN_QUEUE, QueueAction, QueueError, QueueObserver, QueueSet,
    QueueSetConfig,
};
pub use rate_limit::RateLimiter;
pub use snapshot::{QueueLength, QueueSnapshot, TaskSnapshot};
pub use task::{MergeReason, QueueTask};
