//! The caches a thread keeps between renders: loaded charts by directory and parsed templates.
//!
//! They are thread-local because values are single-threaded (`Rc`); [`crate::HelmRenderer`]
//! renders on reused render threads ([`crate::worker`]), so in steady state every render of a
//! module after the first finds its chart and templates here.

use std::cell::RefCell;

use crate::chart::ChartCache;
use crate::engine::ParseCache;

/// One thread's render caches.
#[derive(Debug, Default)]
pub struct RenderCache {
    /// Loaded charts, by directory.
    pub charts: ChartCache,
    /// Parsed templates and `tpl` strings, by name and source.
    pub parsed: ParseCache,
}

thread_local! {
    static CACHE: RefCell<RenderCache> = RefCell::new(RenderCache::default());
}

/// Runs `f` with this thread's caches (with empty ones if `f` is already running on this thread).
pub fn with<T>(f: impl FnOnce(&mut RenderCache) -> T) -> T {
    CACHE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut cache) => f(&mut cache),
        Err(_) => f(&mut RenderCache::default()),
    })
}
