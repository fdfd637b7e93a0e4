//! shell-operator: everything happens in [`shell_operator::entry::main`], so the test package can
//! build the very same program.

fn main() -> std::process::ExitCode {
    shell_operator::entry::main()
}
