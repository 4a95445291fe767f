//! The command line of the verifier, shared by the installable `vbo-verify` binary and
//! `cargo xtask verify` / `cargo xtask record`: arguments, the config file, reaching a server,
//! the progress bar, and how a command ends (one exit-code scheme, errors printed once).

pub mod config;
pub mod progress;
pub mod record;
pub mod server;
pub mod verify;

use std::fmt;
use std::process::ExitCode;

/// Exit codes every command shares.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The contract is broken, or a derived file is stale.
    pub const FAILED: u8 = 1;
    /// Usage or I/O problem.
    pub const USAGE: u8 = 2;
}

/// Why a command stopped: the messages [`finish`] prints (each as `error: ...`) and the exit
/// code it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: u8,
    messages: Vec<String>,
}

impl Error {
    /// A usage or I/O problem (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: exit::USAGE,
            messages: vec![message.into()],
        }
    }

    /// A failure that is not the user's doing, such as a tool that cannot be installed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: exit::FAILED,
            messages: vec![message.into()],
        }
    }

    /// Several usage or I/O problems found before stopping, printed one per line (exit 2).
    pub fn usage_all(messages: Vec<String>) -> Self {
        Self {
            code: exit::USAGE,
            messages,
        }
    }

    /// The exit code.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// The messages, without the `error: ` prefix.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.messages.join("\n"))
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::usage(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::usage(message)
    }
}

/// How a command ended: `Ok` with the exit code its verdict implies (0, 1, or 2 when its
/// report already named the inputs it could not read), or the error [`finish`] prints.
pub type Outcome = Result<u8, Error>;

/// The one place a command's end is turned into an exit code: prints each message of an error
/// as `error: ...` on standard error.
pub fn finish(outcome: Outcome) -> ExitCode {
    ExitCode::from(match outcome {
        Ok(code) => code,
        Err(error) => {
            for message in &error.messages {
                eprintln!("error: {message}");
            }
            error.code
        }
    })
}

/// The tokio runtime of every command that talks HTTP or serves the mock (multi-threaded, I/O
/// and timers on).
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::usage(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_their_exit_code_and_messages() {
        assert_eq!(Error::usage("x").code(), exit::USAGE);
        assert_eq!(Error::failed("x").code(), exit::FAILED);
        let all = Error::usage_all(vec!["a".into(), "b".into()]);
        assert_eq!(all.code(), exit::USAGE);
        assert_eq!(all.to_string(), "a\nb");
        assert_eq!(Error::from("m").messages(), ["m".to_owned()]);
    }
}
