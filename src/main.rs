//! The binary is a thin shell around [`healthlint::run`]: parse arguments, run, map to an exit
//! code. Everything testable lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    healthlint::main_entry()
}
