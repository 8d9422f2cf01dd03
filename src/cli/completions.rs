//! `mcpproxy completions SHELL` and `mcpproxy man`: generated from the command tree itself,
//! so they never fall behind it.

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;
use serde::Serialize;

use super::{Cli, Failure, Global};

const BIN: &str = "mcpproxy";

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcpproxy completions bash > ~/.local/share/bash-completion/completions/mcpproxy\n  \
    mcpproxy completions zsh > \"${fpath[1]}/_mcpproxy\"\n  \
    mcpproxy completions fish > ~/.config/fish/completions/mcpproxy.fish\n  \
    mcpproxy completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcpproxy man | man -l -\n  \
    mcpproxy man --dir ~/.local/share/man/man1")]
pub struct ManArgs {
    /// Write one page per command (mcpproxy.1, mcpproxy-upstream.1, ...) into DIR instead of
    /// printing the main page
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `completions --json`: the script, for tools that install it themselves.
#[derive(Debug, Serialize)]
struct Script {
    shell: String,
    script: String,
}

/// `man --json`: the page printed, or the pages written.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Pages {
    Printed { page: String },
    Written { dir: PathBuf, pages: Vec<PathBuf> },
}

pub fn completions(global: &Global, args: CompletionsArgs) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), BIN, &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    if global.json {
        let shell = args.shell.to_string();
        return global
            .output()
            .print(&Script { shell, script }, |_| String::new());
    }
    print_raw(&script)
}

pub fn man(global: &Global, args: ManArgs) -> Result<(), Failure> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = args.dir else {
        let page = render(&clap_mangen::Man::new(command))?;
        if global.json {
            return global
                .output()
                .print(&Pages::Printed { page }, |_| String::new());
        }
        return print_raw(&page);
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        Failure::error(format!("cannot create {}: {e}", dir.display()))
            .hint("pass a --dir you can write")
    })?;
    let mut pages = Vec::new();
    write_pages(command, &dir, &mut pages)?;
    pages.sort();
    let written = Pages::Written { dir, pages };
    global.output().print(&written, |written| match written {
        Pages::Written { pages, .. } => pages
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        Pages::Printed { .. } => String::new(),
    })
}

/// Writes the page of `command` and of every visible subcommand below it.
fn write_pages(
    command: clap::Command,
    dir: &Path,
    pages: &mut Vec<PathBuf>,
) -> Result<(), Failure> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, pages)?;
    }
    let man = clap_mangen::Man::new(command);
    let path = dir.join(man.get_filename());
    std::fs::write(&path, render(&man)?)
        .map_err(|e| Failure::error(format!("cannot write {}: {e}", path.display())))?;
    pages.push(path);
    Ok(())
}

fn render(man: &clap_mangen::Man) -> Result<String, Failure> {
    let mut page = Vec::new();
    man.render(&mut page)
        .map_err(|e| Failure::error(format!("cannot render the manual page: {e}")))?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// Prints generated text as it is; a reader that stops early (`| head`) is no failure.
fn print_raw(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::error(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}
