//! Long-lived render threads with a big stack, reused across renders.
//!
//! Template execution recurses (`include` may nest 1000 levels deep as in Helm, and the
//! parser, YAML codec and value copies recurse over user input), so renders run on threads
//! with a [`STACK_BYTES`] stack rather than on the caller's thread, whose stack may be small
//! (2 MiB for spawned and tokio threads). Spawning such a thread per render costs more than
//! the render itself, so idle threads wait in a pool and each render borrows one; a render
//! that runs while all are busy spawns another. Each thread keeps its own caches
//! (thread-locals), which is why a thread is reused rather than a fresh one started.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel, sync_channel};

/// Stack of each render thread: `include` may recurse 1000 levels deep as in Helm. Only the
/// pages a render touches are committed.
pub const STACK_BYTES: usize = 256 << 20;
/// Idle threads kept beyond this are let go.
const MAX_IDLE: usize = 8;

type Job = Box<dyn FnOnce() + Send>;

/// A render thread, waiting for jobs.
struct Worker {
    jobs: Sender<Job>,
}

/// Idle render threads.
static IDLE: Mutex<Vec<Worker>> = Mutex::new(Vec::new());

/// Why a job could not run on a render thread.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum WorkerError {
    /// No thread could be started.
    #[error("starting the render thread: {0}")]
    Spawn(String),
    /// The job panicked (a bug); the thread is discarded.
    #[error("render thread panicked")]
    Panicked,
}

fn spawn() -> Result<Worker, WorkerError> {
    let (jobs, rx) = channel::<Job>();
    std::thread::Builder::new()
        .name("helm-render".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            while let Ok(job) = rx.recv() {
                job();
            }
        })
        .map_err(|e| WorkerError::Spawn(e.to_string()))?;
    Ok(Worker { jobs })
}

fn take_idle() -> Option<Worker> {
    IDLE.lock().ok().and_then(|mut idle| idle.pop())
}

fn put_idle(worker: Worker) {
    if let Ok(mut idle) = IDLE.lock()
        && idle.len() < MAX_IDLE
    {
        idle.push(worker);
    }
}

/// Runs `job` on a render thread and waits for its result.
pub fn run<T, F>(job: F) -> Result<T, WorkerError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = sync_channel::<Option<T>>(1);
    let wrapped: Job = Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(job)).ok();
        let _ = tx.send(result);
    });
    let worker = match take_idle() {
        Some(w) => w,
        None => spawn()?,
    };
    // A worker whose thread is gone (it cannot be, short of a bug) gets the job back: retry on a new one.
    let worker = match worker.jobs.send(wrapped) {
        Ok(()) => worker,
        Err(returned) => {
            let fresh = spawn()?;
            fresh
                .jobs
                .send(returned.0)
                .map_err(|_| WorkerError::Spawn("render thread exited".into()))?;
            fresh
        }
    };
    match rx.recv() {
        Ok(Some(value)) => {
            put_idle(worker);
            Ok(value)
        }
        // Panicked: drop the worker, so its thread ends and its caches go with it.
        Ok(None) | Err(_) => Err(WorkerError::Panicked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_on_a_reused_named_thread() {
        let first = run(|| std::thread::current().id());
        let second = run(|| std::thread::current().id());
        assert!(first.is_ok() && second.is_ok());
        let name = run(|| std::thread::current().name().map(str::to_string));
        assert_eq!(name, Ok(Some("helm-render".to_string())));
    }

    #[test]
    #[allow(clippy::panic)]
    fn a_panicking_job_is_an_error_and_later_jobs_still_run() {
        let r: Result<(), WorkerError> = run(|| panic!("boom"));
        assert_eq!(r, Err(WorkerError::Panicked));
        assert_eq!(run(|| 1 + 1), Ok(2));
    }

    #[test]
    fn deep_recursion_fits_the_stack() {
        fn depth(n: usize) -> usize {
            let pad = std::hint::black_box([0u8; 1024]);
            if n == 0 {
                usize::from(pad[0])
            } else {
                depth(n - 1) + usize::from(pad[n % 1024] == 1)
            }
        }
        // ~16 MiB of frames: far beyond a default 2 MiB thread stack.
        assert_eq!(run(|| depth(16_000)), Ok(0));
    }
}
