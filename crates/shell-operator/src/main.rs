//! shell-operator: everything happens in [`shell_operator::entry::main`], so the test package can
//! build the very same program.

/// jemalloc, purging freed pages at once (`JEMALLOC_SYS_WITH_MALLOC_CONF` in `.cargo/config.toml`),
/// instead of glibc malloc: the operator's big allocations are one-off and short-lived (a watch's
/// initial list, the Synchronization binding context with every object) and are freed on other
/// threads than the ones that made them. glibc kept that memory in its arenas, so the RSS stayed
/// near the peak of the initial list (59 MB watching 10,000 ConfigMaps in `cargo xtask bench
/// kube`). mimalloc v3 (the `mimalloc` crate) only purges freed pages after a delay, and an idle
/// thread never gets to it (47 MB; 35 MB only with `MIMALLOC_PURGE_DELAY=0`, which cannot be set
/// without the environment or unsafe code). Figures in docs/BENCHMARKS.md.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    shell_operator::entry::main()
}
