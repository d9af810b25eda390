//! The standard streams of a command: `StandardInput=`/`StandardOutput=`/`StandardError=` opened
//! before the fork (systemd 252's setup_input()/setup_output() in src/core/execute.c): files,
//! append:/truncate:, the socket of an Accept=yes connection, the console, the log pipe.

use std::fs;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::unit::model::{ExecSettings, StandardInput};

use super::context::*;

fn stdio_error(fd: usize, path: &Path, source: io::Error) -> ExecEnvError {
    ExecEnvError::Stdio {
        fd,
        path: path.to_path_buf(),
        source,
    }
}

fn dup(fd: usize, source: &OwnedFd, what: &str) -> Result<OwnedFd, ExecEnvError> {
    source
        .try_clone()
        .map_err(|e| stdio_error(fd, Path::new(what), e))
}

/// `file:PATH`, `append:PATH`, `truncate:PATH`: the path and the open flag they add.
fn output_file(o: &str) -> Option<(&Path, i32)> {
    if let Some(p) = o.strip_prefix("file:") {
        Some((Path::new(p), 0))
    } else if let Some(p) = o.strip_prefix("append:") {
        Some((Path::new(p), libc::O_APPEND))
    } else {
        o.strip_prefix("truncate:")
            .map(|p| (Path::new(p), libc::O_TRUNC))
    }
}

/// What the outputs are set up against: the input already opened, the terminal, the log pipe.
pub(super) struct Outputs<'a> {
    stdin: Option<&'a OwnedFd>,
    socket: Option<&'a OwnedFd>,
    stdin_is_tty: bool,
    tty: &'a Path,
    umask: u32,
    log_pipe: Option<BorrowedFd<'a>>,
}

impl Outputs<'_> {
    /// `setup_output()` for `fd` 1 or 2 with setting `o`; `None` is /dev/null.
    pub(super) fn open(
        &self,
        fd: usize,
        o: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<OwnedFd>, ExecEnvError> {
        Ok(match o {
            "null" => None,
            // The input's descriptor unless that is /dev/null.
            "inherit" => match self.stdin {
                Some(input) => Some(dup(fd, input, "stdin")?),
                None => None,
            },
            "socket" => match self.socket {
                Some(socket) => Some(dup(fd, socket, "socket")?),
                None => None,
            },
            "journal" | "syslog" | "kmsg" | "journal+console" | "syslog+console"
            | "kmsg+console" => match self.log_pipe {
                Some(pipe) => Some(
                    pipe.try_clone_to_owned()
                        .map_err(|e| stdio_error(fd, Path::new("log pipe"), e))?,
                ),
                None => None,
            },
            "tty" => match self.stdin {
                Some(input) if self.stdin_is_tty => Some(dup(fd, input, "stdin")?),
                _ => {
                    let f = fs::OpenOptions::new()
                        .write(true)
                        .custom_flags(libc::O_NOCTTY)
                        .open(self.tty)
                        .map_err(|e| stdio_error(fd, self.tty, e))?;
                    Some(f.into())
                }
            },
            _ => match output_file(o) {
                // Created by the manager, so owned by it and not by User= (as in systemd:
                // systemd#14385), with mode 0666 minus UMask=.
                Some((path, flag)) => Some(
                    fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .mode(0o666 & !self.umask)
                        .custom_flags(libc::O_NOCTTY | flag)
                        .open(path)
                        .map_err(|e| stdio_error(fd, path, e))?
                        .into(),
                ),
                None => {
                    let setting = if fd == 1 {
                        "StandardOutput"
                    } else {
                        "StandardError"
                    };
                    warnings.push(format!(
                        "{setting}={o} is not supported here; using /dev/null."
                    ));
                    None
                }
            },
        })
    }
}

/// Whether StandardInput=, StandardOutput= or StandardError= is `socket`.
pub fn stdio_is_socket(s: &ExecSettings) -> bool {
    s.standard_input == StandardInput::Socket
        || s.standard_output == "socket"
        || s.standard_error == "socket"
}

/// The one socket StandardInput/Output/Error=socket use: exec_spawn() refuses the command
/// with none or several.
pub(super) fn stdio_socket<'a>(ctx: &ExecContext<'a>) -> Result<Option<&'a OwnedFd>, ExecEnvError> {
    match ctx.sockets {
        _ if !stdio_is_socket(&ctx.unit.settings) => Ok(None),
        [one] => Ok(Some(one)),
        [] => Err(ExecEnvError::NoSocket),
        _ => Err(ExecEnvError::TooManySockets),
    }
}

/// `setup_input()`/`setup_output()`: stdin, stdout, stderr; `None` is /dev/null.
pub(super) fn standard_streams(
    s: &ExecSettings,
    socket: Option<&OwnedFd>,
    umask: u32,
    log_pipe: Option<BorrowedFd>,
    warnings: &mut Vec<String>,
) -> Result<[Option<OwnedFd>; 3], ExecEnvError> {
    let tty = Path::new(s.tty_path.as_deref().unwrap_or(DEFAULT_TTY));
    let input = &s.standard_input;
    let input_file = match input {
        StandardInput::File(path) => Some(Path::new(path.as_str())),
        _ => None,
    };
    // an input file that is also stdout's `file:` is opened once, read-write, and shared
    let shared_rw = input_file.is_some()
        && input_file == s.standard_output.strip_prefix("file:").map(Path::new);
    let stdin: Option<OwnedFd> = if input.is_tty() {
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(tty)
            .map_err(|e| stdio_error(0, tty, e))?;
        Some(f.into())
    } else if let Some(path) = input_file {
        let f = fs::OpenOptions::new()
            .read(true)
            .write(shared_rw)
            .create(shared_rw)
            .mode(0o666 & !umask)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .map_err(|e| stdio_error(0, path, e))?;
        Some(f.into())
    } else if *input == StandardInput::Socket {
        match socket {
            Some(c) => Some(dup(0, c, "socket")?),
            None => None,
        }
    } else {
        if *input != StandardInput::Null {
            warnings.push(format!(
                "StandardInput={} is not supported here; using /dev/null.",
                input.as_str()
            ));
        }
        None
    };
    let outputs = Outputs {
        stdin: stdin.as_ref(),
        socket,
        stdin_is_tty: input.is_tty(),
        tty,
        umask,
        log_pipe,
    };
    let stdout = match (&stdin, shared_rw) {
        (Some(fd), true) => Some(dup(1, fd, "stdin")?),
        _ => outputs.open(1, &s.standard_output, warnings)?,
    };
    // stderr's `inherit`, and a file it shares with stdout, are stdout's descriptor
    let same_file =
        output_file(&s.standard_error).is_some_and(|e| Some(e) == output_file(&s.standard_output));
    let stderr = if s.standard_error == "inherit" || same_file {
        match &stdout {
            Some(fd) => Some(dup(2, fd, "stdout")?),
            None => None,
        }
    } else {
        outputs.open(2, &s.standard_error, warnings)?
    };
    Ok([stdin, stdout, stderr])
}
