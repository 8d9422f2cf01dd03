//! `mcpproxy eval ...`: measuring mcpproxy's parts against the shared evaluation sets.

mod search;

use clap::Subcommand;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Rank a query set over a tools file with the tool search; print the rankings
    Search(search::SearchArgs),
}

pub fn run(global: &Global, command: EvalCommand) -> Result<(), Failure> {
    match command {
        EvalCommand::Search(args) => search::run(global, args),
    }
}
