//! `mcpproxy demo-server`: the built-in demo MCP server on stdio.

use clap::Args;

use super::Failure;

#[derive(Debug, Args)]
pub struct DemoServerArgs {}

pub fn run(_args: DemoServerArgs) -> Result<(), Failure> {
    Err(Failure::new(1, "the demo server is not built yet"))
}
