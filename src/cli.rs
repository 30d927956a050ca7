//! Command-line definition. Every flag is defined once here, with its help text; `--help`,
//! the man page and shell completions are generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "healthlint",
    version,
    about = "Finds Docker health checks that cannot tell the truth about the service they guard",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every check inside the running containers and watch the first health cycles.
    Verify(VerifyArgs),
    /// List every rule: id, name, default severity, summary.
    Rules,
    /// Show a rule's documentation page.
    Explain {
        /// Rule id, e.g. HL101.
        id: String,
    },
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Print the instruction dump of a Dockerfile, in the reference parser's format.
    #[command(hide = true)]
    DumpDockerfile { file: PathBuf },
}

/// Which compose project to load: the same options as `docker compose`.
#[derive(Args, Debug, Clone, Default)]
pub struct ProjectArgs {
    /// Compose configuration file; repeat to merge several, like `docker compose -f`.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Alternate working directory (default: the directory of the first compose file).
    #[arg(long, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,

    /// Project name (default: COMPOSE_PROJECT_NAME, then the directory name).
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,

    /// Environment file for interpolation (default: `.env` in the project directory).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,

    /// Enable services of this profile; repeat for several.
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    /// When to use colours (NO_COLOR is honoured).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only findings, no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct LintArgs {
    /// Compose files, Dockerfiles or directories to lint (default: discover like `docker compose`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub project: ProjectArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Configuration file (default: `.healthlint.yaml` found from the working directory up).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the proposed fixes as a unified diff instead of the report.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,

    /// Write the proposed fixes in place (only health check blocks change).
    #[arg(long)]
    pub fix: bool,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// Compose files (same as `-f`).
    #[arg(value_name = "FILE")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub project: ProjectArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Watch this many health cycles (default: until every service settles).
    #[arg(long, value_name = "N")]
    pub cycles: Option<u32>,

    /// Give up watching after this long (e.g. `90s`, `5m`).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Only these services; repeat for several.
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,

    /// Run the checks once and stop; do not watch the engine's health cycles.
    #[arg(long)]
    pub no_watch: bool,

    /// Show check output unredacted.
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}
