//! What `verify` prints while it works, on stderr: spinners on a terminal, one plain line per
//! change otherwise (CI logs), nothing with `--quiet`. The report itself goes to stdout.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::watch::WatchSummary;

enum Mode {
    Quiet,
    Lines,
    Bars(MultiProgress),
}

pub struct Progress {
    mode: Mode,
    bars: Mutex<HashMap<String, ProgressBar>>,
    last: Mutex<HashMap<String, String>>,
    labels: Mutex<HashMap<String, String>>,
}

impl Progress {
    /// Spinners when stderr is a terminal, plain lines otherwise.
    pub fn new(quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
        } else {
            Mode::Lines
        };
        Progress {
            mode,
            bars: Mutex::new(HashMap::new()),
            last: Mutex::new(HashMap::new()),
            labels: Mutex::new(HashMap::new()),
        }
    }

    pub fn quiet() -> Progress {
        Progress::new(true)
    }

    fn line(&self, text: &str) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
            Mode::Bars(m) => m.suspend(|| {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }),
        }
    }

    /// The verdict of running the check now, printed as soon as it is known.
    pub fn verdict(&self, label: &str, passed: bool, duration: Duration, detail: &str) {
        let mark = if passed { "pass" } else { "FAIL" };
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        self.line(&format!(
            "{mark} {label}: check ran in {} ms{detail}",
            duration.as_millis()
        ));
    }

    pub fn note(&self, text: &str) {
        self.line(text);
    }

    pub fn watch_start(&self, id: &str, label: &str, status: &str) {
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines => self.line(&format!("watch {label}: {status}")),
            Mode::Bars(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                if let Ok(style) =
                    ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                {
                    bar.set_style(style);
                }
                bar.set_prefix(label.to_string());
                bar.set_message(status.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                if let Ok(mut b) = self.bars.lock() {
                    b.insert(id.to_string(), bar);
                }
            }
        }
        if let Ok(mut l) = self.labels.lock() {
            l.insert(id.to_string(), label.to_string());
        }
    }

    pub fn watch_update(&self, id: &str, status: &str, cycles: u32, streak: u32) {
        let msg = format!("{status} after {cycles} cycle(s), failing streak {streak}");
        let changed = self
            .last
            .lock()
            .map(|mut l| l.insert(id.to_string(), msg.clone()).as_deref() != Some(&msg))
            .unwrap_or(false);
        match &self.mode {
            Mode::Quiet => {}
            Mode::Lines if changed => {
                let label = self
                    .labels
                    .lock()
                    .ok()
                    .and_then(|l| l.get(id).cloned())
                    .unwrap_or_else(|| id.chars().take(12).collect());
                self.line(&format!("watch {label}: {msg}"));
            }
            Mode::Lines => {}
            Mode::Bars(_) => {
                if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(id).cloned()) {
                    bar.set_message(msg);
                }
            }
        }
    }

    pub fn watch_done(&self, id: &str, label: &str, s: &WatchSummary) {
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(id)) {
            bar.finish_and_clear();
        }
        let tth = s
            .time_to_healthy
            .map(|d| format!(", healthy {:.1} s after start", d.as_secs_f64()))
            .unwrap_or_default();
        self.line(&format!(
            "done  {label}: {} (engine: {}) after {} cycle(s){tth}{}",
            s.status,
            s.engine_status,
            s.cycles,
            if s.flapping { ", flapping" } else { "" }
        ));
    }
}
