//! `embedded-apiserver`: everything happens in [`embedded_apiserver::entry::main`], so the test
//! package can build the very same program.

fn main() -> anyhow::Result<()> {
    embedded_apiserver::entry::main()
}
