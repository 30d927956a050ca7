//! Runs a command inside a container the way the engine runs a health probe: same argv, same
//! shell wrapping for CMD-SHELL, the container's user and working directory, no TTY, no stdin,
//! and the check's own timeout enforced here, because the exec API has none.

use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;
use serde::Serialize;

use crate::model::{HealthTest, TestForm};

/// The engine stores the first 4096 bytes of a probe's output; so do we.
pub const MAX_OUTPUT: usize = 4096;

/// Extra time granted past a timeout for the engine to answer before the call is abandoned.
pub const MARGIN: Duration = Duration::from_secs(2);

/// How the check is executed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckCommand {
    /// The argv handed to the exec API (shell included for CMD-SHELL).
    pub argv: Vec<String>,
    /// The shell prefix for CMD-SHELL (`["/bin/sh", "-c"]` unless the image sets `SHELL`).
    pub shell: Option<Vec<String>>,
    /// `container` when read from the container's own configuration, `model` when taken from
    /// the compose file because the engine reported none.
    pub source: &'static str,
}

impl CheckCommand {
    /// The command as a user would read it: the script for CMD-SHELL, the argv otherwise.
    pub fn text(&self) -> String {
        match &self.shell {
            Some(_) => self.argv.last().cloned().unwrap_or_default(),
            None => self.argv.join(" "),
        }
    }
}

/// What the engine's `Test` means: `None` when no probe runs (`NONE`, empty, unknown word).
pub fn command_from_test(test: &[String], shell: Option<&[String]>) -> Option<CheckCommand> {
    let (head, rest) = test.split_first()?;
    match head.as_str() {
        "CMD" if !rest.is_empty() => Some(CheckCommand {
            argv: rest.to_vec(),
            shell: None,
            source: "container",
        }),
        "CMD-SHELL" if !rest.is_empty() => {
            let sh: Vec<String> = match shell {
                Some(s) if !s.is_empty() => s.to_vec(),
                _ => vec!["/bin/sh".into(), "-c".into()],
            };
            let mut argv = sh.clone();
            argv.push(rest.join(" "));
            Some(CheckCommand {
                argv,
                shell: Some(sh),
                source: "container",
            })
        }
        _ => None,
    }
}

/// The model's check in the engine's terms, for containers whose configuration carries none.
pub fn command_from_model(test: &HealthTest, shell: Option<&[String]>) -> Option<CheckCommand> {
    let engine_test: Vec<String> = match &test.form {
        TestForm::Cmd(args) => std::iter::once("CMD".to_string())
            .chain(args.iter().map(|a| a.value.clone()))
            .collect(),
        TestForm::CmdShell(s) => vec!["CMD-SHELL".into(), s.value.clone()],
        TestForm::None | TestForm::Invalid(_) => return None,
    };
    command_from_test(&engine_test, shell).map(|c| CheckCommand {
        source: "model",
        ..c
    })
}

/// The result of one exec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutcome {
    /// `None` when the process never reported one (timeout, exec error).
    pub exit_code: Option<i64>,
    /// stdout and stderr interleaved as they arrived, as the engine records them.
    pub output: String,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
    pub timed_out: bool,
    /// The engine refused or failed the exec itself.
    pub error: Option<String>,
}

impl ExecOutcome {
    pub fn passed(&self) -> bool {
        !self.timed_out && self.exit_code == Some(0)
    }

    fn failed(error: String, duration: Duration) -> Self {
        ExecOutcome {
            output: error.clone(),
            error: Some(error),
            duration,
            ..Default::default()
        }
    }
}

fn push_capped(buf: &mut String, bytes: &[u8]) {
    if buf.len() >= MAX_OUTPUT {
        return;
    }
    let text = String::from_utf8_lossy(bytes);
    let room = MAX_OUTPUT - buf.len();
    if text.len() <= room {
        buf.push_str(&text);
    } else {
        let mut cut = room;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        buf.push_str(&text[..cut]);
        buf.push_str("...");
    }
}

/// Runs `argv` in the container and waits at most `timeout` for it to finish, and at most
/// `timeout + MARGIN` for the engine to answer at all. A process that outlives the timeout
/// keeps running in the container (the exec API cannot kill it); the outcome says timed out.
pub async fn run(
    docker: &Docker,
    container: &str,
    argv: &[String],
    user: Option<&str>,
    working_dir: Option<&str>,
    timeout: Duration,
) -> ExecOutcome {
    let start = Instant::now();
    let work = run_inner(docker, container, argv, user, working_dir, timeout, start);
    match tokio::time::timeout(timeout + MARGIN, work).await {
        Ok(outcome) => outcome,
        Err(_) => ExecOutcome {
            timed_out: true,
            duration: start.elapsed(),
            error: Some(format!(
                "the engine did not complete the exec within {} s",
                (timeout + MARGIN).as_secs_f64()
            )),
            ..Default::default()
        },
    }
}

async fn run_inner(
    docker: &Docker,
    container: &str,
    argv: &[String],
    user: Option<&str>,
    working_dir: Option<&str>,
    timeout: Duration,
    start: Instant,
) -> ExecOutcome {
    let opts = CreateExecOptions::<String> {
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        attach_stdin: Some(false),
        tty: Some(false),
        cmd: Some(argv.to_vec()),
        user: user.filter(|u| !u.is_empty()).map(str::to_string),
        working_dir: working_dir.filter(|w| !w.is_empty()).map(str::to_string),
        ..Default::default()
    };
    let created = match docker.create_exec(container, opts).await {
        Ok(c) => c,
        Err(e) => return ExecOutcome::failed(super::engine::describe(&e), start.elapsed()),
    };
    let started = docker
        .start_exec(
            &created.id,
            Some(StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: None,
            }),
        )
        .await;
    let mut outcome = ExecOutcome::default();
    match started {
        Ok(StartExecResults::Attached { mut output, .. }) => {
            let collect = async {
                while let Some(chunk) = output.next().await {
                    match chunk {
                        Ok(bollard::container::LogOutput::StdOut { message }) => {
                            push_capped(&mut outcome.stdout, &message);
                            push_capped(&mut outcome.output, &message);
                        }
                        Ok(bollard::container::LogOutput::StdErr { message }) => {
                            push_capped(&mut outcome.stderr, &message);
                            push_capped(&mut outcome.output, &message);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            outcome.error = Some(super::engine::describe(&e));
                            break;
                        }
                    }
                }
            };
            let left = timeout.saturating_sub(start.elapsed());
            if tokio::time::timeout(left, collect).await.is_err() {
                outcome.timed_out = true;
                outcome.duration = start.elapsed();
                return outcome;
            }
        }
        Ok(StartExecResults::Detached) => {}
        Err(e) => return ExecOutcome::failed(super::engine::describe(&e), start.elapsed()),
    }
    outcome.duration = start.elapsed();
    // The stream closes when the process exits; the exit code may lag by a few milliseconds.
    for _ in 0..40 {
        match docker.inspect_exec(&created.id).await {
            Ok(info) if info.running != Some(true) => {
                outcome.exit_code = info.exit_code;
                break;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            Err(e) => {
                outcome.error = Some(super::engine::describe(&e));
                break;
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exec_form_is_argv_as_is() {
        let c = command_from_test(&v(&["CMD", "curl", "-f", "http://x/"]), None).unwrap();
        assert_eq!(c.argv, v(&["curl", "-f", "http://x/"]));
        assert_eq!(c.shell, None);
        assert_eq!(c.text(), "curl -f http://x/");
    }

    #[test]
    fn shell_form_goes_through_the_configured_shell() {
        let c = command_from_test(&v(&["CMD-SHELL", "a && b"]), None).unwrap();
        assert_eq!(c.argv, v(&["/bin/sh", "-c", "a && b"]));
        let bash = v(&["/bin/bash", "-o", "pipefail", "-c"]);
        let c = command_from_test(&v(&["CMD-SHELL", "a | b"]), Some(&bash)).unwrap();
        assert_eq!(c.argv, v(&["/bin/bash", "-o", "pipefail", "-c", "a | b"]));
        assert_eq!(c.text(), "a | b");
    }

    #[test]
    fn no_probe_for_none_empty_or_unknown() {
        assert!(command_from_test(&v(&["NONE"]), None).is_none());
        assert!(command_from_test(&[], None).is_none());
        assert!(command_from_test(&v(&["CMD"]), None).is_none());
        assert!(command_from_test(&v(&["WAT", "x"]), None).is_none());
    }

    #[test]
    fn output_is_capped_like_the_engine() {
        let mut s = String::new();
        push_capped(&mut s, &[b'a'; 5000]);
        assert_eq!(s.len(), MAX_OUTPUT + 3);
        assert!(s.ends_with("..."));
        push_capped(&mut s, b"more");
        assert_eq!(s.len(), MAX_OUTPUT + 3);
    }
}
