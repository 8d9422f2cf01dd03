//! `mcpproxy activity list|show|watch|summary|export`: tool calls from the daemon's activity
//! log (which outlives restarts), live as they happen, counted, or exported whole.

use std::io::Write as _;

use clap::{Args, Subcommand, ValueEnum};
use futures_util::StreamExt as _;
use jiff::Timestamp;
use mcpproxy_daemon::protocol::{
    Activity, ActivityList, ActivitySummary, CallOutcome, ErrorCode, Event,
};
use mcpproxy_tui::screen::activity::{outcome_name, variant_name};

use super::table::{Paint, Terminal, table};
use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Finished tool calls, newest first
    #[command(after_help = "Examples:\n  \
        mcpproxy activity list\n  \
        mcpproxy activity list --server github --outcome failed --since 1h -n 20 --json")]
    List {
        #[command(flatten)]
        filters: Filters,
        /// How many calls at most
        #[arg(long, short = 'n', default_value_t = 50)]
        limit: usize,
    },
    /// One call in full, with its (redacted) arguments and result
    #[command(after_help = "Example:\n  mcpproxy activity show 1042")]
    Show {
        /// The call's id, as `activity list` shows it
        id: u64,
    },
    /// Print calls as they start and end, until Ctrl-C
    #[command(after_help = "Examples:\n  \
        mcpproxy activity watch\n  \
        mcpproxy activity watch --server github --json")]
    Watch {
        #[command(flatten)]
        filters: Filters,
    },
    /// Calls, errors and durations (p50, p95) by server, tool or outcome
    #[command(after_help = "Examples:\n  \
        mcpproxy activity summary\n  \
        mcpproxy activity summary --by tool --since 24h --json")]
    Summary {
        /// What to group calls by
        #[arg(long, value_enum, default_value_t = By::Server)]
        by: By,
        #[command(flatten)]
        filters: Filters,
    },
    /// Every call on record that passes the filters, newest first, to stdout
    #[command(after_help = "Examples:\n  \
        mcpproxy activity export > calls.jsonl\n  \
        mcpproxy activity export --format csv --server github --since 2026-01-01T00:00:00Z > github.csv")]
    Export {
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        #[command(flatten)]
        filters: Filters,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum By {
    Server,
    Tool,
    Outcome,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One JSON object a line
    Jsonl,
    /// A header line, then one line a call
    Csv,
}

#[derive(Debug, Args)]
pub struct Filters {
    /// Only calls to this server
    #[arg(long)]
    server: Option<String>,
    /// Only calls of this tool
    #[arg(long)]
    tool: Option<String>,
    /// Only calls that ended so: ok, tool_error, failed, refused, cancelled, timeout
    #[arg(long)]
    outcome: Option<String>,
    /// Only calls from this client
    #[arg(long)]
    client: Option<String>,
    /// Only calls that ended at or after this time: RFC 3339, or a span back from now
    /// ("1h", "7d")
    #[arg(long)]
    since: Option<String>,
    /// Only calls that ended before this time: RFC 3339, or a span back from now
    #[arg(long)]
    until: Option<String>,
}

impl Filters {
    /// The query's pairs, times resolved.
    fn pairs(&self) -> Result<Vec<(&'static str, String)>, Failure> {
        let mut pairs = Vec::new();
        for (key, value) in [
            ("server", &self.server),
            ("tool", &self.tool),
            ("outcome", &self.outcome),
            ("client", &self.client),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        if let Some(outcome) = &self.outcome {
            parse_outcome(outcome)?;
        }
        for (key, value) in [("since", &self.since), ("until", &self.until)] {
            if let Some(value) = value {
                pairs.push((key, point_in_time(key, value)?.to_string()));
            }
        }
        Ok(pairs)
    }

    /// Whether a live event passes; with an outcome to match, only ends pass.
    fn keeps(&self, call: &Activity, outcome: Option<CallOutcome>) -> bool {
        self.server.as_ref().is_none_or(|s| *s == call.server)
            && self.tool.as_ref().is_none_or(|t| *t == call.tool)
            && self
                .client
                .as_ref()
                .is_none_or(|c| call.client.as_ref() == Some(c))
            && outcome.is_none_or(|o| o == call.outcome)
    }
}

fn parse_outcome(text: &str) -> Result<CallOutcome, Failure> {
    match serde_json::from_value(serde_json::Value::from(text)) {
        Ok(CallOutcome::Unknown) | Err(_) => {
            Err(Failure::usage(format!("unknown outcome \"{text}\""))
                .hint("use one of ok, tool_error, failed, refused, cancelled, timeout"))
        }
        Ok(outcome) => Ok(outcome),
    }
}

/// An RFC 3339 time, or a span back from now (`"90m"`, `"7d"`).
fn point_in_time(key: &str, text: &str) -> Result<Timestamp, Failure> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    humantime::parse_duration(text)
        .ok()
        .and_then(|span| jiff::SignedDuration::try_from(span).ok())
        .and_then(|span| Timestamp::now().checked_sub(span).ok())
        .ok_or_else(|| {
            Failure::usage(format!("--{key} \"{text}\" is neither a time nor a span")).hint(
                "write an RFC 3339 time (2026-05-01T09:00:00Z) or a span back from now (90m, 7d)",
            )
        })
}

pub async fn run(global: &Global, command: ActivityCommand) -> Result<(), Failure> {
    let client = super::daemon::attach_settled(global).await?.client;
    match command {
        ActivityCommand::List { filters, limit } => {
            let mut pairs = filters.pairs()?;
            pairs.push(("limit", limit.to_string()));
            let list = client.activity(&pairs).await?;
            global.output().print(&list, render_list)
        }
        ActivityCommand::Show { id } => {
            let call = client.activity_call(id).await?;
            global.output().print(&call, render_call)
        }
        ActivityCommand::Watch { filters } => watch(&client, global, &filters).await,
        ActivityCommand::Summary { by, filters } => {
            let mut pairs = filters.pairs()?;
            let by = match by {
                By::Server => "server",
                By::Tool => "tool",
                By::Outcome => "outcome",
            };
            pairs.push(("by", by.to_owned()));
            let summary = client.activity_summary(&pairs).await?;
            global.output().print(&summary, render_summary)
        }
        ActivityCommand::Export { format, filters } => export(&client, format, &filters).await,
    }
}

async fn watch(
    client: &mcpproxy_daemon::client::Client,
    global: &Global,
    filters: &Filters,
) -> Result<(), Failure> {
    filters.pairs()?;
    let outcome = filters.outcome.as_deref().map(parse_outcome).transpose()?;
    let mut events = client.events().await?;
    let mut stdout = std::io::stdout().lock();
    while let Some(event) = events.next().await {
        match event? {
            Event::Activity(call) if filters.keeps(&call, outcome) => {
                let line = if global.json {
                    serde_json::to_string(&call).unwrap_or_default()
                } else {
                    watch_line(&call)
                };
                if writeln!(stdout, "{line}")
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    // The reader went away (`| head`): nothing more to say.
                    return Ok(());
                }
            }
            Event::Goodbye(goodbye) => {
                return Err(Failure::error(goodbye.message)
                    .coded(ErrorCode::UpstreamUnavailable)
                    .hint("`mcpproxy daemon start` starts a new daemon"));
            }
            _ => {}
        }
    }
    Err(
        Failure::error("the daemon closed the event stream (it stopped)")
            .coded(ErrorCode::UpstreamUnavailable),
    )
}

/// Calls asked of the daemon per page of an export.
const EXPORT_PAGE: usize = 5_000;

async fn export(
    client: &mcpproxy_daemon::client::Client,
    format: Format,
    filters: &Filters,
) -> Result<(), Failure> {
    let pairs = filters.pairs()?;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut write = |text: &str| writeln!(stdout, "{text}").is_ok();
    if matches!(format, Format::Csv) && !write(&CSV_HEADER.join(",")) {
        return Ok(());
    }
    let mut before: Option<u64> = None;
    loop {
        let mut page = pairs.clone();
        page.push(("limit", EXPORT_PAGE.to_string()));
        if let Some(before) = before {
            page.push(("before", before.to_string()));
        }
        let list = client.activity(&page).await?;
        for call in &list.activity {
            let line = match format {
                Format::Jsonl => serde_json::to_string(call).unwrap_or_default(),
                Format::Csv => csv_line(call),
            };
            if !write(&line) {
                return Ok(());
            }
        }
        // A short page is the last; the filters may skip calls, so a full page's lowest id
        // is where the next one starts.
        match list.activity.last() {
            Some(last) if list.activity.len() == EXPORT_PAGE => before = Some(last.id),
            _ => break,
        }
    }
    let _ = stdout.flush();
    Ok(())
}

const CSV_HEADER: [&str; 13] = [
    "id",
    "at",
    "client",
    "server",
    "tool",
    "variant",
    "outcome",
    "duration_ms",
    "bytes_in",
    "bytes_out",
    "error",
    "arguments",
    "result",
];

fn csv_line(call: &Activity) -> String {
    let fields = [
        call.id.to_string(),
        call.at.to_string(),
        call.client.clone().unwrap_or_default(),
        call.server.clone(),
        call.tool.clone(),
        wire_name(&call.variant),
        wire_name(&call.outcome),
        call.duration_ms
            .map(|ms| ms.to_string())
            .unwrap_or_default(),
        call.bytes_in.to_string(),
        call.bytes_out.to_string(),
        call.error.clone().unwrap_or_default(),
        call.arguments.clone().unwrap_or_default(),
        call.result.clone().unwrap_or_default(),
    ];
    fields
        .iter()
        .map(|field| csv_field(field))
        .collect::<Vec<_>>()
        .join(",")
}

/// A value's name on the wire (`tool_error`, `passthrough`).
fn wire_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn outcome_paint(outcome: CallOutcome) -> Option<Paint> {
    match outcome {
        CallOutcome::Ok => Some(Paint::Good),
        CallOutcome::Started => None,
        CallOutcome::Cancelled | CallOutcome::Refused | CallOutcome::Unknown => Some(Paint::Warn),
        CallOutcome::ToolError | CallOutcome::Failed | CallOutcome::Timeout => Some(Paint::Bad),
    }
}

fn took(call: &Activity) -> String {
    call.duration_ms
        .map(|ms| format!("{ms} ms"))
        .unwrap_or_default()
}

fn render_list(list: &ActivityList) -> String {
    if list.activity.is_empty() {
        return "no calls on record".to_owned();
    }
    let rows: Vec<[String; 7]> = list
        .activity
        .iter()
        .map(|call| {
            [
                call.id.to_string(),
                call.at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                format!("{}:{}", call.server, call.tool),
                variant_name(call.variant).to_owned(),
                outcome_name(call.outcome).to_owned(),
                took(call),
                call.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let outcomes: Vec<CallOutcome> = list.activity.iter().map(|c| c.outcome).collect();
    table(
        Terminal::stdout(),
        &[
            "ID",
            "ENDED (UTC)",
            "TOOL",
            "VARIANT",
            "OUTCOME",
            "TOOK",
            "ERROR",
        ],
        &rows,
        |column, cell| match column {
            4 => outcomes
                .iter()
                .find(|o| outcome_name(**o) == cell)
                .and_then(|o| outcome_paint(*o)),
            6 => Some(Paint::Muted),
            _ => None,
        },
    )
}

fn render_call(call: &Activity) -> String {
    let mut lines = vec![
        format!("call      #{}", call.id),
        format!("tool      {}:{}", call.server, call.tool),
        format!("ended     {}", call.at),
        format!(
            "client    {}",
            call.client.as_deref().unwrap_or("(unnamed)")
        ),
        format!("variant   {}", variant_name(call.variant)),
        format!("outcome   {}", outcome_name(call.outcome)),
        format!("took      {}", took(call)),
        format!("sent      {} bytes", call.bytes_in),
        format!("received  {} bytes", call.bytes_out),
    ];
    if let Some(error) = &call.error {
        lines.push(format!("error     {error}"));
    }
    for (label, preview) in [("arguments", &call.arguments), ("result", &call.result)] {
        if let Some(preview) = preview {
            lines.push(String::new());
            lines.push(format!("{label} (secrets redacted):"));
            lines.push(format!("  {preview}"));
        }
    }
    lines.join("\n")
}

fn watch_line(call: &Activity) -> String {
    let mut text = format!(
        "{}  #{}  {}:{}  {}  {}",
        call.at.strftime("%H:%M:%S%.3f"),
        call.id,
        call.server,
        call.tool,
        variant_name(call.variant),
        outcome_name(call.outcome),
    );
    if call.duration_ms.is_some() {
        text.push_str(&format!("  {}", took(call)));
    }
    if let Some(error) = &call.error {
        text.push_str(&format!("  ({error})"));
    }
    text
}

fn render_summary(summary: &ActivitySummary) -> String {
    if summary.groups.is_empty() {
        return "no calls on record in that period".to_owned();
    }
    let ms = |value: Option<u64>| value.map(|ms| format!("{ms} ms")).unwrap_or_default();
    let rows: Vec<[String; 5]> = summary
        .groups
        .iter()
        .map(|group| {
            [
                group.key.clone(),
                group.calls.to_string(),
                group.errors.to_string(),
                ms(group.p50_ms),
                ms(group.p95_ms),
            ]
        })
        .collect();
    let by = match summary.by {
        mcpproxy_daemon::protocol::SummaryGroup::Tool => "TOOL",
        mcpproxy_daemon::protocol::SummaryGroup::Outcome => "OUTCOME",
        _ => "SERVER",
    };
    table(
        Terminal::stdout(),
        &[by, "CALLS", "ERRORS", "P50", "P95"],
        &rows,
        |column, cell| (column == 2 && cell != "0").then_some(Paint::Bad),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(
            csv_field("{\"a\":1,\"b\":2}"),
            "\"{\"\"a\"\":1,\"\"b\"\":2}\""
        );
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn times_are_rfc_3339_or_spans_back_from_now() {
        let at = point_in_time("since", "2026-05-01T09:00:00Z").unwrap();
        assert_eq!(at.to_string(), "2026-05-01T09:00:00Z");
        let hour_ago = point_in_time("since", "1h").unwrap();
        let span = Timestamp::now().duration_since(hour_ago).as_secs();
        assert!((3599..=3700).contains(&span), "{span}");
        assert!(point_in_time("since", "yesterday-ish").is_err());
        assert!(parse_outcome("tool_error").is_ok());
        assert!(parse_outcome("error").is_err());
    }
}
