//! `module ...` and `global ...`: one request to the running operator's debug socket, printed
//! as upstream's CLI prints it (the body and a newline).

use std::io::Write;
use std::path::Path;

use debug_socket::{CliError, DebugCommand, SocketArgs, encode_path};

use crate::cli::{GlobalCommand, ModuleCommand};

/// The debug path a `module` command asks for.
pub fn module_path(cmd: &ModuleCommand) -> (String, &SocketArgs) {
    match cmd {
        ModuleCommand::List { output, socket } => (format!("/module/list.{output}"), socket),
        ModuleCommand::Values(a) | ModuleCommand::Config(a) => {
            let kind = if matches!(cmd, ModuleCommand::Values(_)) {
                "values"
            } else {
                "config"
            };
            let path = format!(
                "/module/{}/{kind}.{}?global={}",
                encode_path(&a.module_name),
                a.output.as_str(),
                a.global
            );
            (path, &a.socket)
        }
        ModuleCommand::Render {
            module_name,
            debug,
            diff,
            socket,
        } => (
            format!(
                "/module/{}/render?debug={debug}&diff={diff}",
                encode_path(module_name)
            ),
            socket,
        ),
    }
}

/// The debug path a `global` command asks for.
pub fn global_path(cmd: &GlobalCommand) -> (String, &SocketArgs) {
    match cmd {
        GlobalCommand::Values(a) => (format!("/global/values.{}", a.output.as_str()), &a.socket),
        GlobalCommand::Config(a) => (format!("/global/config.{}", a.output.as_str()), &a.socket),
    }
}

/// Sends `path` to the socket and prints the reply; a non-2xx reply is an error after printing.
pub async fn request<W: Write>(
    path: String,
    socket: &SocketArgs,
    out: &mut W,
) -> Result<(), CliError> {
    let raw = DebugCommand::Raw {
        urlpath: path,
        socket: socket.clone(),
    };
    debug_socket::run(
        &raw,
        Path::new(debug_socket::ADDON_OPERATOR_DEFAULT_SOCKET),
        out,
    )
    .await
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn path_of(args: &[&str]) -> String {
        let cli = Cli::try_parse_from(args).unwrap();
        match cli.command {
            Some(Command::Module(cmd)) => module_path(&cmd).0,
            Some(Command::Global(cmd)) => global_path(&cmd).0,
            other => panic!("not a client command: {other:?}"),
        }
    }

    #[test]
    fn commands_ask_for_upstreams_routes() {
        assert_eq!(path_of(&["a", "module", "list"]), "/module/list.yaml");
        assert_eq!(
            path_of(&["a", "module", "list", "-o", "text"]),
            "/module/list.text"
        );
        assert_eq!(
            path_of(&["a", "module", "values", "echo-server", "-g", "-o", "json"]),
            "/module/echo-server/values.json?global=true"
        );
        assert_eq!(
            path_of(&["a", "module", "config", "echo-server"]),
            "/module/echo-server/config.yaml?global=false"
        );
        assert_eq!(
            path_of(&["a", "module", "render", "a b"]),
            "/module/a%20b/render?debug=false&diff=false"
        );
        assert_eq!(
            path_of(&["a", "global", "config", "-o", "json"]),
            "/global/config.json"
        );
    }
}
