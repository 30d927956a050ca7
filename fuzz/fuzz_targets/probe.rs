#![no_main]
//! The health check parser: any text as a CMD-SHELL script and as exec-form arguments.

use healthlint::model::{HealthTest, TestForm};
use healthlint::span::{Span, Spanned};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let span = Span::default();
    let shell = HealthTest {
        form: TestForm::CmdShell(Spanned::new(text.to_string(), span)),
        span,
        from_string: false,
        ..HealthTest::default()
    };
    let _ = healthlint::probe::analyze(&shell, None);
    let exec = HealthTest {
        form: TestForm::Cmd(
            text.split('\u{1f}')
                .map(|a| Spanned::new(a.to_string(), span))
                .collect(),
        ),
        span,
        from_string: false,
        ..HealthTest::default()
    };
    let _ = healthlint::probe::analyze(&exec, None);
});
