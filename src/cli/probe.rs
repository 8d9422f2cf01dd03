//! `mcpproxy upstream probe URL`: connect to any MCP server with the daemon's own upstream
//! client, show what it offers, optionally call a tool. No daemon needed.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use mcpproxy_daemon::config::TransportSetting;
use mcpproxy_daemon::oauth::settings::EnterpriseGrant;
use mcpproxy_daemon::oauth::{ClientAuth, Grant, Interaction, OAuthSettings};
use mcpproxy_daemon::upstream::probe::{self, ProbeOptions, Probed};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The server's URL (streamable HTTP, or legacy SSE)
    url: String,
    /// auto, http or sse
    #[arg(long, default_value = "auto")]
    transport: TransportSetting,
    /// HTTP header, as 'Name: value' (repeatable)
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    headers: Vec<String>,
    /// Call this tool after listing
    #[arg(long, value_name = "TOOL")]
    call: Option<String>,
    /// Arguments of the call, as a JSON object
    #[arg(long, default_value = "{}", value_name = "JSON")]
    args: String,
    /// How long connecting and listing may take
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// Report a server that needs a login instead of logging in
    #[arg(long)]
    no_login: bool,
    /// OAuth: a client id registered with the server's authorization server
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// OAuth: scopes to ask for (repeatable; default: what the server says it needs)
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// OAuth: HTTPS URL of this client's metadata document, used as its client id where
    /// the authorization server supports that
    #[arg(long, value_name = "URL")]
    client_metadata_url: Option<String>,
    /// Follow the authorization URL without a browser (test servers that approve at once)
    #[arg(long, hide = true)]
    headless_auth: bool,
    /// Client credentials as the conformance suite hands them out (JSON)
    #[arg(long, hide = true, value_name = "JSON")]
    oauth_context: Option<String>,
    /// Grant to use: authorization_code, client_credentials or enterprise
    #[arg(long, hide = true, default_value = "authorization_code")]
    grant: String,
    /// Call the first listed tool with no arguments
    #[arg(long, hide = true, conflicts_with = "call")]
    call_first: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    url: String,
    transport: String,
    protocol_version: String,
    server: Option<String>,
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<String>,
    tools: Vec<Item>,
    prompts: Vec<Item>,
    resources: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call: Option<CallReport>,
}

#[derive(Debug, Serialize)]
struct Item {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Serialize)]
struct CallReport {
    tool: String,
    is_error: bool,
    result: Value,
}

pub async fn run(global: &Global, args: ProbeArgs) -> Result<(), Failure> {
    let options = options(&args)?;
    let arguments = super::upstream::json_object(&args.args)?;
    let mut probed = probe::open(&options).await.map_err(|e| {
        let hint = match &e {
            probe::ProbeError::Connect(c) if c.to_string().contains("authorization") => {
                Some("run it again without --no-login to log in".to_owned())
            }
            _ => None,
        };
        Failure::error(format!("{}: {e}", args.url)).maybe_hint(hint)
    })?;
    for line in probed.drain_log() {
        tracing::debug!("{}", line.text);
    }
    let tool = match (&args.call, args.call_first) {
        (Some(tool), _) => Some(tool.clone()),
        (None, true) => probed.catalog.tools.first().map(|t| t.name.to_string()),
        (None, false) => None,
    };
    let call = match tool {
        Some(tool) => Some(call(&probed, &tool, arguments).await?),
        None => None,
    };
    let report = report(&args.url, &probed, call);
    probed.close().await;
    let failed = report.call.as_ref().is_some_and(|c| c.is_error);
    global.output().print(&report, render)?;
    if failed {
        return Err(Failure::error("the tool reported an error"));
    }
    Ok(())
}

async fn call(
    probed: &Probed,
    tool: &str,
    arguments: Map<String, Value>,
) -> Result<CallReport, Failure> {
    let result = probed
        .call(tool, arguments)
        .await
        .map_err(|e| Failure::error(e.to_string()))?;
    Ok(CallReport {
        tool: tool.to_owned(),
        is_error: result.is_error.unwrap_or(false),
        result: serde_json::to_value(&result).unwrap_or_default(),
    })
}

fn options(args: &ProbeArgs) -> Result<ProbeOptions, Failure> {
    let headers = super::upstream::pairs(&args.headers, ':', "--header 'Name: value'")?;
    let oauth = if args.no_login {
        None
    } else {
        let interaction = if args.headless_auth {
            Interaction::Headless
        } else {
            Interaction::Inline(Arc::new(|url: &str| {
                eprintln!("log in to continue: {url}");
                if super::browser::open(url) {
                    eprintln!("(opened in your browser; waiting for the redirect)");
                }
            }))
        };
        Some((settings(args)?, interaction))
    };
    Ok(ProbeOptions {
        url: args.url.clone(),
        transport: args.transport,
        headers,
        connect_timeout: args.timeout,
        oauth,
    })
}

/// The OAuth settings from the options and the hidden test context.
fn settings(args: &ProbeArgs) -> Result<OAuthSettings, Failure> {
    let context: Map<String, Value> = match &args.oauth_context {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Failure::error(format!("--oauth-context is not a JSON object: {e}")))?,
        None => Map::new(),
    };
    let text = |key: &str| context.get(key).and_then(Value::as_str).map(str::to_owned);
    let required = |key: &str| {
        text(key).ok_or_else(|| Failure::error(format!("--oauth-context has no `{key}`")))
    };
    let grant = match args.grant.as_str() {
        "authorization_code" => Grant::AuthorizationCode,
        "client_credentials" => Grant::ClientCredentials {
            client_id: required("client_id")?,
            auth: match text("private_key_pem") {
                Some(pem) => ClientAuth::PrivateKeyJwt {
                    pem,
                    algorithm: text("signing_algorithm").unwrap_or_else(|| "ES256".to_owned()),
                },
                None => ClientAuth::Secret(required("client_secret")?),
            },
        },
        "enterprise" => Grant::Enterprise(EnterpriseGrant {
            idp_issuer: required("idp_issuer")?,
            idp_token_endpoint: required("idp_token_endpoint")?,
            idp_client_id: required("idp_client_id")?,
            idp_client_secret: text("idp_client_secret"),
            id_token: required("idp_id_token")?,
            client_id: required("client_id")?,
            client_secret: text("client_secret"),
        }),
        other => return Err(Failure::error(format!("unknown grant \"{other}\""))),
    };
    let preregistered = matches!(grant, Grant::AuthorizationCode)
        .then(|| text("client_id"))
        .flatten();
    Ok(OAuthSettings {
        client_id: args.client_id.clone().or(preregistered),
        client_secret: text("client_secret"),
        scopes: args.scopes.clone(),
        client_metadata_url: args.client_metadata_url.clone(),
        redirect_port: 0,
        grant,
    })
}

fn report(url: &str, probed: &Probed, call: Option<CallReport>) -> Report {
    let items = |list: Vec<(String, Option<String>)>| {
        list.into_iter()
            .map(|(name, description)| Item { name, description })
            .collect()
    };
    let catalog = &probed.catalog;
    Report {
        url: url.to_owned(),
        transport: probed.transport.as_str().to_owned(),
        protocol_version: probed.protocol_version.clone(),
        server: probed.server_name.clone(),
        version: probed.server_version.clone(),
        instructions: probed.instructions.clone(),
        tools: items(
            catalog
                .tools
                .iter()
                .map(|t| {
                    (
                        t.name.to_string(),
                        t.description.as_ref().map(|d| d.to_string()),
                    )
                })
                .collect(),
        ),
        prompts: items(
            catalog
                .prompts
                .iter()
                .map(|p| (p.name.clone(), p.description.clone()))
                .collect(),
        ),
        resources: items(
            catalog
                .resources
                .iter()
                .map(|r| (r.uri.clone(), r.description.clone()))
                .collect(),
        ),
        call,
    }
}

fn render(report: &Report) -> String {
    let mut out = format!(
        "{} {} — MCP {} over {}\n",
        report.server.as_deref().unwrap_or("(unnamed server)"),
        report.version.as_deref().unwrap_or(""),
        report.protocol_version,
        report.transport
    );
    for (title, items) in [
        ("tools", &report.tools),
        ("prompts", &report.prompts),
        ("resources", &report.resources),
    ] {
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title} ({}):\n", items.len()));
        for item in items {
            let description = item
                .description
                .as_deref()
                .and_then(|d| d.lines().next())
                .unwrap_or("");
            out.push_str(&format!("  {:<28} {description}\n", item.name));
        }
    }
    if let Some(call) = &report.call {
        out.push_str(&format!(
            "\ncall {}{}:\n",
            call.tool,
            if call.is_error { " (error)" } else { "" }
        ));
        let texts: Vec<&str> = call
            .result
            .get("content")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("text")?.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if texts.is_empty() {
            out.push_str(&serde_json::to_string_pretty(&call.result).unwrap_or_default());
        } else {
            out.push_str(&texts.join("\n"));
        }
        out.push('\n');
    }
    out
}
