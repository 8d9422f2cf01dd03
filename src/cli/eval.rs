//! `mcpproxy eval ...`: measuring mcpproxy's parts against the shared evaluation sets: the
//! tool search and the poisoning detector, offline, writing what the scorers in `shared/eval/`
//! read.

mod scan;
mod search;

use clap::Subcommand;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Rank a query set over a tools file with the tool search; print the rankings
    Search(search::SearchArgs),
    /// Scan every entry of a poisoning corpus and print a verdict for each
    Scan(scan::ScanArgs),
}

pub fn run(global: &Global, command: EvalCommand) -> Result<(), Failure> {
    match command {
        EvalCommand::Search(args) => search::run(global, args),
        EvalCommand::Scan(args) => scan::run(global, args),
    }
}
