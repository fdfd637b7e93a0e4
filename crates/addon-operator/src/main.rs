//! addon-operator: everything happens in [`addon_operator::entry::main`].

fn main() -> std::process::ExitCode {
    addon_operator::entry::main()
}
