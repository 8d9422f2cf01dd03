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
    #[command(
        after_help = "Examples:\n  mcpproxy eval search --tools corpus.json --queries golden.json --json > rankings.json\n  mcpproxy eval search --tools corpus.json --queries golden.json --lexical-only"
    )]
    Search(search::SearchArgs),
    /// Scan every entry of a poisoning corpus and print a verdict for each
    #[command(
        after_help = "Examples:\n  mcpproxy eval scan --corpus detect_corpus_v1.json\n  mcpproxy eval scan --corpus detect_corpus_v1.json --json > verdicts.json"
    )]
    Scan(scan::ScanArgs),
}

pub fn run(global: &Global, command: EvalCommand) -> Result<(), Failure> {
    match command {
        EvalCommand::Search(args) => search::run(global, args),
        EvalCommand::Scan(args) => scan::run(global, args),
    }
}
