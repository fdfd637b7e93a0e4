//! The embedded-apiserver program for the fidelity tests: the same entry point as
//! `crates/embedded-apiserver/src/main.rs`, built in this package so tests can start it by path.

fn main() -> anyhow::Result<()> {
    embedded_apiserver::entry::main()
}
