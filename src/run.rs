//! The lint command from arguments to exit code: which inputs, loaded and analysed (in
//! parallel when there are many), filtered by the configuration and suppressions, fixed when
//! asked, and rendered.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{FailOn, Format, LintArgs, ProjectArgs, VerifyArgs};
use crate::load::{self, LoadError, LoadOptions};
use crate::pipeline::{self, Analysis};
use crate::walk::{self, FileKind, Input};
use crate::{config, fix, live, redact, report, suppress};

/// Exit codes shared by every command.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn lint(args: &LintArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let env: Vec<(String, String)> = std::env::vars().collect();
    let color = report::use_color(args.output.color, std::io::stdout().is_terminal());
    let format = args.output.format;
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();

    let config = match args.config.clone().or_else(|| config::discover(&cwd)) {
        Some(path) => match config::load(&path) {
            Ok(c) => Some(c),
            Err(e) => {
                let _ = report::render_load_error(&e, format, color, &mut stdout);
                return ExitCode::from(EXIT_ERROR);
            }
        },
        None => None,
    };

    let inputs = match inputs(args, &cwd, &env) {
        Ok(i) => i,
        Err(e) => {
            let _ = report::render_load_error(&e, format, color, &mut stdout);
            return ExitCode::from(EXIT_ERROR);
        }
    };

    let results = analyse_all(&inputs, args, &cwd, &env);
    let mut analyses = Vec::new();
    let mut failed = false;
    for result in results {
        match result {
            Ok(mut a) => {
                if let Some(c) = &config {
                    c.apply(&mut a);
                }
                suppress::apply(&mut a);
                fix::attach_template_fixes(&mut a);
                analyses.push(a);
            }
            Err(e) => {
                failed = true;
                let _ = report::render_load_error(&e, format, color, &mut stdout);
            }
        }
    }

    if args.diff || args.fix {
        return fixes(&analyses, args.fix, failed, &mut stdout, &mut stderr);
    }

    let opts = report::RenderOptions {
        format,
        color,
        quiet: args.output.quiet,
        cwd: cwd.clone(),
        width: terminal_width(),
    };
    if let Err(code) = write_report(&analyses, &opts, &env, false, &mut stdout, &mut stderr) {
        return code;
    }
    if failed {
        return ExitCode::from(EXIT_ERROR);
    }
    let fail_on = config
        .as_ref()
        .and_then(|c| c.fail_on())
        .filter(|_| args.output.fail_on == FailOn::Error)
        .unwrap_or(args.output.fail_on);
    let code = analyses
        .iter()
        .map(|a| report::exit_code(&a.findings, fail_on))
        .max()
        .unwrap_or(EXIT_CLEAN);
    ExitCode::from(code)
}

/// `--diff` prints what `--fix` would write; `--fix` writes it. Both leave every byte outside
/// the checks they replace as it was.
fn fixes(
    analyses: &[Analysis],
    write: bool,
    failed: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    let mut changed = 0;
    for a in analyses {
        let edits = fix::plan(&a.findings);
        for (path, new) in fix::apply(&a.project.sources, &edits).into_values() {
            let old = a
                .project
                .sources
                .find(&path)
                .map(|id| a.project.sources.get(id).text.to_string())
                .unwrap_or_default();
            if old == new {
                continue;
            }
            changed += 1;
            if write {
                if let Err(e) = std::fs::write(&path, &new) {
                    let _ = writeln!(stderr, "error: cannot write {}: {e}", path.display());
                    return ExitCode::from(EXIT_ERROR);
                }
                let _ = writeln!(stderr, "fixed {}", path.display());
            } else {
                // `git apply` wants paths relative to the repository, as a user typed them.
                let shown = std::env::current_dir()
                    .ok()
                    .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
                    .unwrap_or_else(|| path.clone());
                let _ = write!(stdout, "{}", fix::unified_diff(&shown, &old, &new));
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_ERROR)
    } else if changed > 0 && !write {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::from(EXIT_CLEAN)
    }
}

/// What to lint: `-f` files as one project; each path argument as its own input (a directory
/// is walked); nothing at all means the compose project of the working directory, or its
/// Dockerfile when it has no compose file.
fn inputs(
    args: &LintArgs,
    cwd: &Path,
    env: &[(String, String)],
) -> Result<Vec<Input>, Box<LoadError>> {
    let mut out = Vec::new();
    if !args.project.files.is_empty() {
        out.push(Input::Compose(args.project.files.clone()));
    }
    for path in &args.paths {
        let full = cwd.join(path);
        if full.is_dir() {
            out.extend(walk::discover(path));
            continue;
        }
        if !full.exists() {
            return Err(Box::new(LoadError::file(
                path,
                format!("{}: no such file or directory", path.display()),
            )));
        }
        out.push(match walk::classify(path) {
            FileKind::Dockerfile => Input::Dockerfile(path.clone()),
            _ if is_yaml(path) => Input::Compose(vec![path.clone()]),
            // A file named on the command line is taken at its word: not YAML, so a Dockerfile.
            _ => Input::Dockerfile(path.clone()),
        });
    }
    if out.is_empty() {
        let has_compose = env.iter().any(|(k, _)| k == "COMPOSE_FILE")
            || walk::COMPOSE_DEFAULT_NAMES
                .iter()
                .any(|n| ancestors_have(cwd, n));
        if !has_compose && cwd.join("Dockerfile").is_file() {
            out.push(Input::Dockerfile(PathBuf::from("Dockerfile")));
        } else {
            out.push(Input::Compose(Vec::new()));
        }
    }
    Ok(out)
}

fn ancestors_have(dir: &Path, name: &str) -> bool {
    dir.ancestors().any(|d| d.join(name).is_file())
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

fn analyse_all(
    inputs: &[Input],
    args: &LintArgs,
    cwd: &Path,
    env: &[(String, String)],
) -> Vec<Result<Analysis, Box<LoadError>>> {
    let one = |input: &Input| -> Result<Analysis, Box<LoadError>> {
        let files = match input {
            Input::Compose(files) => files.clone(),
            Input::Dockerfile(_) => Vec::new(),
        };
        let opts = load_options(&args.project, files, cwd, env);
        let project = match input {
            Input::Compose(_) => load::load(&opts)?,
            Input::Dockerfile(path) => load::dockerfile::load_dockerfile(path, &opts)?,
        };
        Ok(pipeline::analyze(project))
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(inputs.len());
    if workers <= 1 {
        return inputs.iter().map(one).collect();
    }
    // Inputs are independent; each worker takes every n-th one, results go back in order.
    let mut results: Vec<Option<Result<Analysis, Box<LoadError>>>> =
        (0..inputs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let one = &one;
                scope.spawn(move || {
                    inputs
                        .iter()
                        .enumerate()
                        .skip(w)
                        .step_by(workers)
                        .map(|(i, input)| (i, one(input)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
        }
    });
    results
        .into_iter()
        .zip(inputs)
        .map(|(r, input)| {
            r.unwrap_or_else(|| {
                Err(Box::new(LoadError::file(
                    match input {
                        Input::Compose(f) => f.first().cloned().unwrap_or_default(),
                        Input::Dockerfile(p) => p.clone(),
                    },
                    "internal error while linting this input",
                )))
            })
        })
        .collect()
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn load_options(
    project: &ProjectArgs,
    files: Vec<PathBuf>,
    cwd: &Path,
    env: &[(String, String)],
) -> LoadOptions {
    LoadOptions {
        files,
        project_directory: project.project_directory.clone(),
        project_name: project.project_name.clone(),
        env_files: project.env_files.clone(),
        profiles: project.profiles.clone(),
        env: env.to_vec(),
        cwd: cwd.to_path_buf(),
    }
}

/// `healthlint verify`: the lint's reading of the project, then every check run inside the
/// running containers and the first health cycles watched. What the engine cannot do (no
/// daemon, no permission, a container gone) is an error, exit 2, like unreadable input.
pub fn verify(args: &VerifyArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let env: Vec<(String, String)> = std::env::vars().collect();
    let color = report::use_color(args.output.color, std::io::stdout().is_terminal());
    let format = args.output.format;
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();

    let mut files = args.paths.clone();
    files.extend(args.project.files.iter().cloned());
    let opts = load_options(&args.project, files, &cwd, &env);
    let project = match load::load(&opts) {
        Ok(p) => p,
        Err(e) => {
            let _ = report::render_load_error(&e, format, color, &mut stdout);
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let mut analysis = pipeline::analyze(project);
    match live::run(args, &analysis) {
        Ok(live) => {
            analysis.findings.extend(live.findings);
            analysis.live = Some(live.observations);
        }
        Err(e) => {
            let _ = writeln!(stderr, "{:?}", miette::Report::new(e));
            return ExitCode::from(EXIT_ERROR);
        }
    }
    let config = match config::discover(&cwd).map(|p| config::load(&p)) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            let _ = report::render_load_error(&e, format, color, &mut stdout);
            return ExitCode::from(EXIT_ERROR);
        }
        None => None,
    };
    if let Some(c) = &config {
        c.apply(&mut analysis);
    }
    suppress::apply(&mut analysis);
    fix::attach_template_fixes(&mut analysis);

    let opts = report::RenderOptions {
        format,
        color,
        quiet: args.output.quiet,
        cwd,
        width: terminal_width(),
    };
    let analyses = [analysis];
    let show = args.show_secrets;
    if let Err(code) = write_report(&analyses, &opts, &env, show, &mut stdout, &mut stderr) {
        return code;
    }
    ExitCode::from(report::exit_code(
        &analyses[0].findings,
        args.output.fail_on,
    ))
}

/// Renders the report whole, then masks every secret value the projects and the environment
/// hold (a check's text, a snippet or a URL can carry one, and CI logs are public) unless the
/// user asked to see them. A closed pipe is not an error.
fn write_report(
    analyses: &[Analysis],
    opts: &report::RenderOptions,
    env: &[(String, String)],
    show_secrets: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), ExitCode> {
    let mut buf = Vec::new();
    let written = report::render_all(analyses, opts, &mut buf).and_then(|()| {
        if show_secrets {
            return stdout.write_all(&buf);
        }
        let secrets = redact::secret_values(analyses.iter().map(|a| &a.project), env);
        stdout.write_all(&masked(buf, opts.format, &secrets))
    });
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            let _ = writeln!(stderr, "error: cannot write the report: {e}");
            Err(ExitCode::from(EXIT_ERROR))
        }
        _ => Ok(()),
    }
}

/// A rendered report with every secret masked. JSON documents are masked string by string and
/// re-serialized, so no secret can break their structure; text is masked as text.
fn masked(buf: Vec<u8>, format: Format, secrets: &[String]) -> Vec<u8> {
    let text = String::from_utf8_lossy(&buf);
    let redactor = redact::Redactor::new(secrets);
    let redacted = redactor.redact(&text);
    if redacted == text {
        return buf;
    }
    if matches!(format, Format::Json | Format::Sarif)
        && let Ok(mut doc) = serde_json::from_slice::<serde_json::Value>(&buf)
    {
        redact::redact_json(&mut doc, &redactor);
        let mut out = serde_json::to_vec_pretty(&doc).unwrap_or(buf);
        out.push(b'\n');
        return out;
    }
    redacted.into_bytes()
}
