//! `mcpproxy auth login|logout|status [NAME]`: OAuth logins to upstream servers. The daemon
//! runs the flow and holds the tokens; this shows the URL, opens the browser where there is
//! one, and follows the daemon's events until the login has finished.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use clap::Subcommand;
use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{AuthList, Event, OAuthChange, ServerAuth, ServerState};

use super::{Failure, Global};

/// How long `auth login` waits for the person.
const LOGIN_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Log in to a server: prints the URL, opens the browser, waits until it is done
    #[command(
        after_help = "Examples:\n  mcpproxy auth login notion\n  mcpproxy auth login notion --no-wait"
    )]
    Login {
        name: String,
        /// Print the URL and return at once
        #[arg(long)]
        no_wait: bool,
    },
    /// Revoke (where the server supports it) and forget a server's tokens
    #[command(after_help = "Example:\n  mcpproxy auth logout notion")]
    Logout { name: String },
    /// Show which servers are logged in, need a login, or are logging in
    #[command(
        after_help = "Examples:\n  mcpproxy auth status\n  mcpproxy auth status notion --json"
    )]
    Status { name: Option<String> },
}

pub async fn run(global: &Global, command: AuthCommand) -> Result<(), Failure> {
    let client = super::daemon::attach_or_start(global, None).await?.client;
    let output = global.output();
    match command {
        AuthCommand::Status { name } => {
            let mut list = client.auth().await?;
            if let Some(name) = &name {
                list.servers.retain(|s| &s.server == name);
                if list.servers.is_empty() {
                    return Err(
                        Failure::error(format!("\"{name}\" does not log in with OAuth"))
                            .hint("`mcpproxy auth status` lists the servers that do"),
                    );
                }
            }
            output.print(&list, render_list)
        }
        AuthCommand::Logout { name } => {
            let auth = client.logout(&name).await?;
            output.print(&auth, |a| {
                format!("logged out of {} ({})", a.server, a.status)
            })
        }
        AuthCommand::Login { name, no_wait } => {
            // Subscribe first, so the end of a quick login is not missed.
            let events = client.events().await?;
            let auth = client.login(&name).await?;
            let Some(url) = auth.login_url.clone() else {
                return output.print(&auth, |a| format!("{}: {}", a.server, a.status));
            };
            if output.json {
                output.print(&auth, |_| String::new())?;
            } else {
                println!("open this URL to log in to {name}:\n\n  {url}\n");
            }
            if super::browser::open(&url) && !output.json {
                println!("(opened in your browser)");
            }
            if no_wait {
                return Ok(());
            }
            wait_for_login(&name, events).await
        }
    }
}

/// Follows events until the server's login has finished (or failed), with a live line.
async fn wait_for_login(
    name: &str,
    events: impl futures_util::Stream<Item = Result<Event, mcpproxy_daemon::client::ClientError>>,
) -> Result<(), Failure> {
    let mut events = Box::pin(events);
    let started = Instant::now();
    let live = std::io::stderr().is_terminal();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut logged_in = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if started.elapsed() > LOGIN_WAIT {
                    return Err(Failure::error(format!("the login to {name} did not finish within {LOGIN_WAIT:?}"))
                        .hint(format!("run `mcpproxy auth login {name}` again")));
                }
                if live {
                    let what = if logged_in { "logged in; connecting" } else { "waiting for the browser" };
                    eprint!("\r\x1b[2K{what}… {}s", started.elapsed().as_secs());
                    let _ = std::io::stderr().flush();
                }
            }
            event = events.next() => {
                let Some(event) = event else {
                    return Err(Failure::error("the daemon ended the event stream"));
                };
                match event? {
                    Event::OAuth(e) if e.auth.server == name => match e.change {
                        OAuthChange::LoggedIn => logged_in = true,
                        OAuthChange::LoginFailed => {
                            clear(live);
                            return Err(Failure::error(format!(
                                "the login to {name} failed: {}",
                                e.auth.message.unwrap_or_default()
                            )));
                        }
                        _ => {}
                    },
                    Event::Server(view) if view.name == name && logged_in => match view.state {
                        ServerState::Ready => {
                            clear(live);
                            println!("logged in to {name}; it is ready ({} tools)", view.tool_count);
                            return Ok(());
                        }
                        ServerState::Backoff | ServerState::NeedsAuth => {
                            clear(live);
                            return Err(Failure::error(format!(
                                "logged in to {name}, but it is {}: {}",
                                view.state,
                                view.last_error.unwrap_or_default()
                            )));
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
    }
}

fn clear(live: bool) {
    if live {
        eprint!("\r\x1b[2K");
    }
}

fn render_list(list: &AuthList) -> String {
    if list.servers.is_empty() {
        return "no server logs in with OAuth".to_owned();
    }
    list.servers
        .iter()
        .map(render_one)
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_one(auth: &ServerAuth) -> String {
    let mut line = format!("{:<20} {}", auth.server, auth.status);
    if let Some(at) = auth.expires_at {
        line.push_str(&format!(", expires {at}"));
    }
    if auth.refreshable {
        line.push_str(", refreshable");
    }
    if !auth.scopes.is_empty() {
        line.push_str(&format!(", scopes: {}", auth.scopes.join(" ")));
    }
    if let Some(message) = &auth.message {
        line.push_str(&format!(" ({message})"));
    }
    if let Some(url) = &auth.login_url {
        line.push_str(&format!("\n  log in: {url}"));
    }
    line
}
