//! Test tools (`--test-tools`): deterministic behaviours the proxy's tests provoke on purpose:
//! an echo, a slow call with progress and cancellation, a failure, a crash, a tool list that
//! changes at run time, and log messages from calls that run at the same time.

use std::time::Duration;

use rmcp::model::{ProgressNotificationParam, Tool, ToolAnnotations};
use rmcp::schemars::JsonSchema;
use serde::Deserialize;
use tokio::time::{Instant, MissedTickBehavior};

use super::registry::{
    DemoTool, ToolCall, ToolFailure, ToolOutcome, failure_result, input_schema, no_input_schema,
    parse_arguments, read_only, text_result,
};

/// How often `slow` reports progress.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);
/// The longest `slow` sleeps: long enough for any timeout test, short enough not to hang CI.
const MAX_SLOW_SECONDS: f64 = 3600.0;

pub(crate) fn tools() -> Vec<DemoTool> {
    vec![
        echo_tool(
            "echo",
            "Echo",
            "Return the message prefixed with \"Echo: \", and write the same line to the \
             server's stderr. For testing calls and server logs end to end.",
            "Echo",
        ),
        DemoTool::new(
            Tool::new(
                "slow",
                "Sleep for the given number of seconds (fractions allowed, up to 3600), \
                 reporting progress every 100 ms when the call carries a progress token, then \
                 answer \"slept N s\". Stops at once when the call is cancelled. For testing \
                 timeouts, progress and cancellation.",
                input_schema::<SlowArgs>(),
            )
            .with_title("Slow call")
            .with_annotations(
                ToolAnnotations::with_title("Slow call")
                    .read_only(true)
                    .destructive(false)
                    .idempotent(true)
                    .open_world(false),
            ),
            slow,
        ),
        DemoTool::new(
            Tool::new(
                "fail",
                "Always fail: return a result with isError set and a message saying the \
                 failure was on purpose. For testing how errors are shown.",
                no_input_schema(),
            )
            .with_title("Fail on purpose")
            .with_annotations(
                ToolAnnotations::with_title("Fail on purpose")
                    .read_only(true)
                    .destructive(false)
                    .idempotent(true)
                    .open_world(false),
            ),
            |_call: ToolCall| {
                std::future::ready(Ok(failure_result(&ToolFailure::new(
                    "the fail tool failed on purpose: it always returns an error result",
                ))
                .into()))
            },
        ),
        DemoTool::new(
            Tool::new(
                "crash",
                "Terminate the demo server process at once with exit status 3, without \
                 answering. For testing how a dying upstream is handled.",
                no_input_schema(),
            )
            .with_title("Crash the server")
            // Ending the process destroys the session and every call in flight.
            .with_annotations(
                ToolAnnotations::with_title("Crash the server")
                    .read_only(false)
                    .destructive(true)
                    .idempotent(false)
                    .open_world(false),
            ),
            crash,
        ),
        DemoTool::new(
            Tool::new(
                "chatter",
                "Send `count` log messages (notifications/message at info level, when the \
                 session's log level lets them through) reading \"TEXT #1\", \"TEXT #2\", ... \
                 50 ms apart, then answer \"said TEXT N times\". With `together` N, first wait \
                 (up to 10 s) until N chatter calls run at once, and say so in the answer. For \
                 testing that each call's log messages reach its own caller.",
                input_schema::<ChatterArgs>(),
            )
            .with_title("Log while running")
            .with_annotations(read_only("Log while running")),
            chatter,
        ),
        DemoTool::new(
            Tool::new(
                "mutate_tools",
                "Add a new echo-like tool named generated_N to this server's tool list, send \
                 notifications/tools/list_changed, and return the new tool's name. For testing \
                 tool list refreshes.",
                no_input_schema(),
            )
            .with_title("Add a generated tool")
            // Each call adds one more tool and removes nothing.
            .with_annotations(
                ToolAnnotations::with_title("Add a generated tool")
                    .read_only(false)
                    .destructive(false)
                    .idempotent(false)
                    .open_world(false),
            ),
            mutate_tools,
        ),
        DemoTool::new(
            Tool::new(
                "rewrite_description",
                "Replace the description of this server's tool or prompt `name` (`kind` tool \
                 or prompt) with `text`, send notifications/tools/list_changed or \
                 notifications/prompts/list_changed, and say what changed. For testing how \
                 clients notice a tool that changes after it was approved.",
                input_schema::<RewriteArgs>(),
            )
            .with_title("Rewrite a description")
            .with_annotations(
                ToolAnnotations::with_title("Rewrite a description")
                    .read_only(false)
                    .destructive(false)
                    .idempotent(true)
                    .open_world(false),
            ),
            rewrite_description,
        ),
    ]
}

/// What `rewrite_description` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "snake_case")]
pub(crate) enum ItemKind {
    Tool,
    Prompt,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct RewriteArgs {
    /// tool or prompt
    kind: ItemKind,
    /// The tool's or prompt's name
    name: String,
    /// The new description
    text: String,
}

async fn rewrite_description(call: ToolCall) -> ToolOutcome {
    let args: RewriteArgs = parse_arguments(call.arguments.clone())?;
    if !call
        .server
        .rewrite_description(args.kind, &args.name, &args.text)
    {
        return Err(ToolFailure::new(format!(
            "no {:?} named '{}'",
            args.kind, args.name
        )));
    }
    match args.kind {
        ItemKind::Tool => call.server.announce_tool_list_change(&call.context).await,
        ItemKind::Prompt => call.server.announce_prompt_list_change(&call.context).await,
    }
    Ok(text_result(format!("rewrote the description of {}", args.name)).into())
}

/// An echo: `echo` itself, and each tool `mutate_tools` generates. The answer goes to
/// stderr too, so tests see what a server's own log makes of a call's arguments.
pub(crate) fn echo_tool(name: &str, title: &str, description: &str, prefix: &str) -> DemoTool {
    let prefix = prefix.to_owned();
    DemoTool::new(
        Tool::new(
            name.to_owned(),
            description.to_owned(),
            input_schema::<EchoArgs>(),
        )
        .with_title(title)
        .with_annotations(read_only(title)),
        move |call: ToolCall| {
            let outcome = parse_arguments(call.arguments).map(|EchoArgs { message }| {
                let answer = format!("{prefix}: {message}");
                eprintln!("{answer}");
                text_result(answer).into()
            });
            std::future::ready(outcome)
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct EchoArgs {
    /// The text to send back
    message: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct SlowArgs {
    /// How long to sleep, in seconds; fractions allowed (0.25)
    seconds: f64,
}

async fn slow(call: ToolCall) -> ToolOutcome {
    let SlowArgs { seconds } = parse_arguments(call.arguments)?;
    let duration = Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|_| seconds <= MAX_SLOW_SECONDS)
        .ok_or_else(|| {
            ToolFailure::new(format!(
                "seconds must be a number from 0 to {MAX_SLOW_SECONDS}, not {seconds}"
            ))
        })?;
    let progress_token = call.context.meta.get_progress_token();
    let started = Instant::now();
    let done = tokio::time::sleep(duration);
    tokio::pin!(done);
    let mut ticks = tokio::time::interval_at(started + PROGRESS_INTERVAL, PROGRESS_INTERVAL);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            // Cancellation first, so a call cancelled as it finishes reports the cancellation.
            biased;
            () = call.context.ct.cancelled() => {
                // Tests read this line from the server's stderr (its log) to see that the
                // cancellation reached the server.
                eprintln!("cancelled");
                return Err(ToolFailure::new("cancelled"));
            }
            () = &mut done => break,
            _ = ticks.tick() => {
                let Some(token) = &progress_token else { continue };
                let elapsed = started.elapsed().as_secs_f64().min(seconds);
                let progress = ProgressNotificationParam::new(token.clone(), elapsed)
                    .with_total(seconds)
                    .with_message(format!("{elapsed:.1} of {seconds} s"));
                // A lost notification only costs a progress report; a client that went away
                // cancels the call through the token above.
                if let Err(error) = call.context.peer.notify_progress(progress).await {
                    tracing::debug!(%error, "cannot send progress");
                }
            }
        }
    }
    Ok(text_result(format!("slept {seconds} s")).into())
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct ChatterArgs {
    /// What each log message says, before its number
    text: String,
    /// How many log messages to send (up to 100)
    count: u32,
    /// Wait until this many chatter calls run at once before logging
    #[serde(default)]
    #[schemars(with = "u32")]
    together: Option<usize>,
}

/// How long a `chatter` call waits for the others it should run with.
const CHATTER_WAIT: Duration = Duration::from_secs(10);
/// Between two of a `chatter` call's log messages.
const CHATTER_INTERVAL: Duration = Duration::from_millis(50);

async fn chatter(call: ToolCall) -> ToolOutcome {
    let ChatterArgs {
        text,
        count,
        together,
    } = parse_arguments(call.arguments.clone())?;
    if count > 100 {
        return Err(ToolFailure::new(format!(
            "count must be at most 100, not {count}"
        )));
    }
    let running = call.server.chatter_calls();
    let overlapped = match together {
        Some(wanted) => {
            let mut calls = running.subscribe();
            tokio::time::timeout(CHATTER_WAIT, calls.wait_for(|n| *n >= wanted))
                .await
                .is_ok_and(|seen| seen.is_ok())
        }
        None => false,
    };
    for number in 1..=count {
        if number > 1 {
            tokio::time::sleep(CHATTER_INTERVAL).await;
        }
        call.server
            .log(
                &call.context,
                rmcp::model::LoggingLevel::Info,
                "chatter",
                &format!("{text} #{number}"),
            )
            .await;
    }
    let together = if overlapped {
        " alongside the other calls"
    } else {
        ""
    };
    Ok(text_result(format!("said {text} {count} times{together}")).into())
}

async fn crash(call: ToolCall) -> ToolOutcome {
    call.server.request_crash();
    // The process is about to exit; waiting here makes sure no answer goes out first.
    std::future::pending().await
}

async fn mutate_tools(call: ToolCall) -> ToolOutcome {
    let name = call.server.add_generated_tool();
    call.server.announce_tool_list_change(&call.context).await;
    Ok(text_result(name).into())
}

/// The tool `mutate_tools` adds as its `number`th: `generated_<number>`, an echo.
pub(crate) fn generated_tool(number: u32) -> DemoTool {
    let name = format!("generated_{number}");
    echo_tool(
        &name,
        &format!("Generated tool {number}"),
        &format!(
            "A tool added at run time by mutate_tools (number {number}). Returns the message \
             prefixed with \"{name}: \", and writes the same line to stderr."
        ),
        &name,
    )
}
