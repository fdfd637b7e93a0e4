//! Waiting for a child while draining its pipes: exit, timeout or cancellation, then the group
//! kill (SIGTERM, grace, SIGKILL) and a bounded drain of pipes that background processes may
//! hold open.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::ExitStatus;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::output::ResourceUsage;
use crate::process::{GroupSignal, Running};
use crate::usage::UsageProbe;

/// How the wait ended.
#[derive(Debug)]
pub(crate) enum Ending {
    Exited,
    TimedOut,
    Cancelled,
}

/// Limits of one supervised run.
pub(crate) struct Limits<'a> {
    pub(crate) timeout: Option<Duration>,
    pub(crate) kill_grace: Duration,
    pub(crate) drain_grace: Duration,
    pub(crate) cancel: &'a CancellationToken,
}

/// What happened.
pub(crate) struct Supervised {
    pub(crate) ending: Ending,
    pub(crate) status: io::Result<ExitStatus>,
    pub(crate) usage: Option<ResourceUsage>,
    pub(crate) duration: Duration,
}

const RSS_SAMPLE_INTERVAL: Duration = Duration::from_millis(50);

/// Drives `readers` until the child ends (or is killed), then for at most the drain grace.
pub(crate) async fn supervise<F: Future<Output = ()>>(
    proc: &mut Running,
    readers: &mut Pin<Box<F>>,
    limits: &Limits<'_>,
    mut probe: Option<&mut UsageProbe>,
) -> Supervised {
    let started = Instant::now();
    let mut readers_done = false;
    let deadline = limits.timeout.map(|t| started + t);
    let mut tick =
        tokio::time::interval_at(started + Duration::from_millis(10), RSS_SAMPLE_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let ending = loop {
        tokio::select! {
            () = readers.as_mut(), if !readers_done => readers_done = true,
            r = proc.exited() => {
                if let Err(e) = r {
                    tracing::warn!(pid = proc.pid(), error = %e, "waiting for hook exit failed");
                }
                break Ending::Exited;
            }
            () = sleep_until_opt(deadline) => break Ending::TimedOut,
            () = limits.cancel.cancelled() => break Ending::Cancelled,
            _ = tick.tick(), if probe.is_some() => {
                if let Some(p) = probe.as_deref_mut() {
                    p.sample_rss();
                }
            }
        }
    };
    let mut usage = None;
    match ending {
        Ending::Exited => {
            if let Some(p) = probe.as_deref() {
                usage = p.finish();
            }
        }
        Ending::TimedOut | Ending::Cancelled => {
            proc.signal(GroupSignal::Term);
            let grace = tokio::time::sleep(limits.kill_grace);
            tokio::pin!(grace);
            loop {
                tokio::select! {
                    () = readers.as_mut(), if !readers_done => readers_done = true,
                    _ = proc.exited() => break,
                    () = &mut grace => break,
                }
            }
            // Also takes down group members that outlived the leader or ignored SIGTERM.
            proc.signal(GroupSignal::Kill);
        }
    }
    let status = proc.reap().await;
    let duration = started.elapsed();
    if !readers_done
        && tokio::time::timeout(limits.drain_grace, readers.as_mut())
            .await
            .is_err()
    {
        tracing::warn!(
            pid = proc.pid(),
            "hook exited but its output pipes are still open (a background process?); stopped reading them"
        );
    }
    Supervised {
        ending,
        status,
        usage,
        duration,
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
