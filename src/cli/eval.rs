//! `mcpproxy eval`: run mcpproxy's detectors offline on labelled corpora, writing what the
//! scorers in `shared/eval/` read.

mod scan;

use clap::Subcommand;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Scan every entry of a poisoning corpus and print a verdict for each
    Scan(scan::ScanArgs),
}

pub fn run(global: &Global, command: EvalCommand) -> Result<(), Failure> {
    match command {
        EvalCommand::Scan(args) => scan::run(global, args),
    }
}
