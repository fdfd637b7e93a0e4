//! The debug CLI commands (`queue list`, `hook snapshot`, `config set`, `raw`, ...) the binaries embed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::client::{ClientError, DebugClient, Response};
use crate::format::Format;
use crate::go_duration;

/// Where the debug socket is; hidden like upstream's flag.
#[derive(Debug, Clone, Default, Args)]
pub struct SocketArgs {
    /// Path to the debug unix socket.
    #[arg(long = "debug-unix-socket", env = crate::server::ENV_DEBUG_UNIX_SOCKET, hide = true)]
    pub debug_unix_socket: Option<PathBuf>,
}

/// `-o json|yaml|text`.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Output format: json|yaml|text.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

/// The debug client commands of shell-operator (and addon-operator's shared ones).
#[derive(Debug, Clone, Subcommand)]
pub enum DebugCommand {
    /// Dump queues.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Actions for hooks.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Manage runtime parameters.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Make a raw request to debug endpoint.
    Raw {
        /// An url to send to debug endpoint. Example: /queue/list.json
        urlpath: String,
        #[command(flatten)]
        socket: SocketArgs,
    },
}

/// `queue ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum QueueCommand {
    /// Dump tasks in all queues.
    List {
        /// Show empty queues.
        #[arg(short = 'e', long = "show-empty")]
        show_empty: bool,
        /// Keep watching.
        #[arg(short = 'w', long = "watch")]
        watch: bool,
        /// Watch refresh interval.
        #[arg(short = 't', long = "watchInterval", default_value = "1s")]
        watch_interval: String,
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        socket: SocketArgs,
    },
    /// Dump tasks in the main queue.
    Main {
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        socket: SocketArgs,
    },
}

/// `hook ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum HookCommand {
    /// List all hooks.
    List {
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        socket: SocketArgs,
    },
    /// Dump hook snapshots.
    Snapshot {
        /// Hook name as `hook list` shows it.
        hook_name: String,
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        socket: SocketArgs,
    },
}

/// `config ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// List available runtime parameters.
    List {
        #[command(flatten)]
        output: OutputArgs,
        #[command(flatten)]
        socket: SocketArgs,
    },
    /// Set runtime parameter.
    Set {
        /// A name of runtime parameter.
        name: String,
        /// A new value for the runtime parameter.
        value: String,
        /// Set value for a period of time, then return a previous value. Use Go notation: 10s, 15m30s, etc.
        duration: Option<String>,
        #[command(flatten)]
        socket: SocketArgs,
    },
}

/// A CLI command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Talking to the socket failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The endpoint replied with an error status; its body was printed.
    #[error("debug endpoint replied {0}")]
    Status(http::StatusCode),
    /// The duration argument is not a Go duration.
    #[error("parse duration")]
    Duration(#[source] go_duration::InvalidDuration),
    /// Writing the output failed.
    #[error("write output")]
    Io(#[source] std::io::Error),
}

impl DebugCommand {
    fn socket_args(&self) -> &SocketArgs {
        match self {
            DebugCommand::Queue(
                QueueCommand::List { socket, .. } | QueueCommand::Main { socket, .. },
            )
            | DebugCommand::Hook(
                HookCommand::List { socket, .. } | HookCommand::Snapshot { socket, .. },
            )
            | DebugCommand::Config(
                ConfigCommand::List { socket, .. } | ConfigCommand::Set { socket, .. },
            )
            | DebugCommand::Raw { socket, .. } => socket,
        }
    }
}

/// Runs `cmd` against the socket from its flag/env or `default_socket`, printing to `out`.
pub async fn run<W: Write>(
    cmd: &DebugCommand,
    default_socket: &Path,
    out: &mut W,
) -> Result<(), CliError> {
    let socket = cmd
        .socket_args()
        .debug_unix_socket
        .clone()
        .unwrap_or_else(|| default_socket.to_owned());
    let client = DebugClient::new(socket);
    match cmd {
        DebugCommand::Queue(QueueCommand::List {
            show_empty,
            watch,
            watch_interval,
            output,
            ..
        }) => {
            let path = format!("/queue/list.{}?showEmpty={show_empty}", output.output);
            if *watch {
                return watch_loop(&client, &path, watch_interval, out).await;
            }
            let response = client.get(&path).await?;
            // Upstream writes the queue list without an extra newline.
            print(out, &response, false)
        }
        DebugCommand::Queue(QueueCommand::Main { output, .. }) => print(
            out,
            &client
                .get(&format!("/queue/main.{}", output.output))
                .await?,
            true,
        ),
        DebugCommand::Hook(HookCommand::List { output, .. }) => print(
            out,
            &client.get(&format!("/hook/list.{}", output.output)).await?,
            true,
        ),
        DebugCommand::Hook(HookCommand::Snapshot {
            hook_name, output, ..
        }) => {
            let path = format!(
                "/hook/{}/snapshots.{}",
                encode_path(hook_name),
                output.output
            );
            print(out, &client.get(&path).await?, true)
        }
        DebugCommand::Config(ConfigCommand::List { output, .. }) => print(
            out,
            &client
                .get(&format!("/config/list.{}", output.output))
                .await?,
            true,
        ),
        DebugCommand::Config(ConfigCommand::Set {
            name,
            value,
            duration,
            ..
        }) => {
            let duration = duration
                .as_deref()
                .map(go_duration::parse)
                .transpose()
                .map_err(CliError::Duration)?
                .filter(|d| !d.is_zero())
                .map(go_duration::format);
            let mut form = vec![("name", name.as_str()), ("value", value.as_str())];
            if let Some(d) = &duration {
                form.push(("duration", d.as_str()));
            }
            print(out, &client.post_form("/config/set", &form).await?, true)
        }
        DebugCommand::Raw { urlpath, .. } => print(out, &client.get(urlpath).await?, true),
    }
}

fn print<W: Write>(out: &mut W, response: &Response, newline: bool) -> Result<(), CliError> {
    out.write_all(response.body.as_bytes())
        .map_err(CliError::Io)?;
    if newline {
        out.write_all(b"\n").map_err(CliError::Io)?;
    }
    out.flush().map_err(CliError::Io)?;
    if response.status.is_success() {
        Ok(())
    } else {
        Err(CliError::Status(response.status))
    }
}

/// `queue list --watch`: redraws on the alternate screen until Ctrl-C.
async fn watch_loop<W: Write>(
    client: &DebugClient,
    path: &str,
    interval: &str,
    out: &mut W,
) -> Result<(), CliError> {
    let write = |out: &mut W, s: &str| out.write_all(s.as_bytes()).map_err(CliError::Io);
    write(out, "\x1b[?1049h\x1b[2J\x1b[1;1H")?;
    let interval = match go_duration::parse(interval) {
        Ok(d) if !d.is_zero() => d,
        Ok(_) => Duration::from_secs(1),
        Err(err) => {
            write(
                out,
                &format!("could not parse watch refresh interval: {err}, default 1s applied\n"),
            )?;
            Duration::from_secs(1)
        }
    };
    let result = async {
        loop {
            let response = client.get(path).await?;
            print(out, &response, false)?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(()),
                () = tokio::time::sleep(interval) => {}
            }
            write(out, "\x1b[2J\x1b[1;1H")?;
            write(
                out,
                &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )?;
            write(out, "\x1b[3;1H")?;
        }
    }
    .await;
    write(out, "\x1b[?1049l")?;
    result
}

/// Percent-encodes a name for a URL path, keeping `/` (hook names are relative paths).
pub fn encode_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use clap::{FromArgMatches, Parser};

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        cmd: DebugCommand,
    }

    #[test]
    fn upstream_command_lines_parse() {
        let cli = Cli::try_parse_from(["so", "queue", "list", "-o", "json", "-e"]).unwrap();
        assert!(matches!(
            cli.cmd,
            DebugCommand::Queue(QueueCommand::List {
                show_empty: true,
                output: OutputArgs {
                    output: Format::Json
                },
                ..
            })
        ));
        let cli = Cli::try_parse_from([
            "so",
            "config",
            "set",
            "log.level",
            "debug",
            "5m",
            "--debug-unix-socket",
            "/s",
        ])
        .unwrap();
        let DebugCommand::Config(ConfigCommand::Set {
            name,
            value,
            duration,
            socket,
        }) = cli.cmd
        else {
            unreachable!("parsed as config set")
        };
        assert_eq!(
            (name.as_str(), value.as_str(), duration.as_deref()),
            ("log.level", "debug", Some("5m"))
        );
        assert_eq!(socket.debug_unix_socket.as_deref(), Some(Path::new("/s")));
        assert!(Cli::try_parse_from(["so", "queue", "main", "-o", "xml"]).is_err());
        let _ = Cli::from_arg_matches;
    }

    #[test]
    fn hook_names_keep_slashes_in_paths() {
        assert_eq!(encode_path("dir/hook 1.sh"), "dir/hook%201.sh");
    }
}
