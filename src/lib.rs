//! healthlint: finds Docker health checks that cannot tell the truth about the service they
//! guard. The pipeline runs in one direction:
//! load → model → infer → probe → rules → findings → report (and fix, and live).

pub mod cli;
pub mod config;
pub mod fix;
pub mod images;
pub mod infer;
pub mod live;
pub mod load;
pub mod model;
pub mod pipeline;
pub mod probe;
pub mod redact;
pub mod report;
pub mod rules;
pub mod run;
pub mod span;
pub mod suppress;
pub mod walk;

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
    match cli.command {
        Some(cli::Command::Completions { shell }) => {
            let mut cmd = <cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "healthlint", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Some(cli::Command::Man) => {
            let cmd = <cli::Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some(cli::Command::Rules) => {
            print!("{}", rules::docs::render_table());
            ExitCode::SUCCESS
        }
        Some(cli::Command::Explain { id }) => match rules::docs::explain(&id) {
            Some(page) => {
                print!("{page}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: no rule `{id}` (see `healthlint rules`)");
                ExitCode::from(2)
            }
        },
        Some(cli::Command::DumpDockerfile { file }) => dump_dockerfile(&file),
        Some(cli::Command::Verify(args)) => run::verify(&args),
        None => run::lint(&cli.lint),
    }
}

/// `healthlint dump-dockerfile FILE`: the instruction dump in the reference parser's format, to
/// compare a reading with `docker build`'s.
fn dump_dockerfile(path: &std::path::Path) -> ExitCode {
    let text = match load::read_source(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}", e.message);
            return ExitCode::from(2);
        }
    };
    match load::dockerfile::parse::parse(&text) {
        Ok(file) => {
            print!("{}", load::dockerfile::parse::dump(&file));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}:{}:1: {}", path.display(), e.line, e.message);
            ExitCode::from(2)
        }
    }
}
