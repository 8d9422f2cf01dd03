//! `mcpproxy`: one binary for the daemon, its CLI, and its attach clients.
//!
//! This file only composes: it parses the command line, picks a runtime, runs the command,
//! and turns the outcome into an exit code (0 ok, 1 error, 2 port in use, 3 data dir
//! locked, 4 config invalid, 5 permission denied).

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.global.json;
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.print(json);
            failure.code.into()
        }
    }
}
