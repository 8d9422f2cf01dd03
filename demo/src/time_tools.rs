//! Time tools: the current time in a zone, converting a time between zones, and the time
//! left until a moment. Zones come from the system's IANA database (/usr/share/zoneinfo).
//!
//! The logic takes "now" as an argument so the tests can pin it.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use rmcp::model::Tool;
use rmcp::schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::registry::{
    DemoTool, ToolFailure, input_schema, output_schema, parse_arguments, read_only,
    structured_result,
};

pub(crate) fn tools() -> Vec<DemoTool> {
    vec![
        DemoTool::pure(
            Tool::new(
                "current_time",
                "Get the current date and time in a time zone: RFC 3339 timestamp, weekday, UTC \
                 offset and whether daylight saving time is in effect. Time zones are IANA names \
                 such as Europe/Paris or America/New_York; the default is UTC.",
                input_schema::<CurrentTimeArgs>(),
            )
            .with_title("Current time")
            .with_raw_output_schema(output_schema::<ZonedTime>())
            .with_annotations(read_only("Current time")),
            |arguments| {
                let CurrentTimeArgs { timezone } = parse_arguments(arguments)?;
                let zone = time_zone(timezone.as_deref().unwrap_or("UTC"))?;
                structured_result(&ZonedTime::at(Timestamp::now(), &zone))
            },
        ),
        DemoTool::pure(
            Tool::new(
                "convert_time",
                "Convert a time from one time zone to another. The time is \"HH:MM\" (today in \
                 the source zone), \"YYYY-MM-DD HH:MM\", or an RFC 3339 timestamp with an \
                 offset. Returns both sides and the difference between the zones' offsets.",
                input_schema::<ConvertTimeArgs>(),
            )
            .with_title("Convert time between zones")
            .with_raw_output_schema(output_schema::<Conversion>())
            .with_annotations(read_only("Convert time between zones")),
            |arguments| {
                let args: ConvertTimeArgs = parse_arguments(arguments)?;
                structured_result(&convert_time(&args, Timestamp::now())?)
            },
        ),
        DemoTool::pure(
            Tool::new(
                "time_until",
                "How long until a date and time (or how long ago it was): seconds and a readable \
                 duration such as \"in 2 days, 3 hours and 5 minutes\". The moment is \
                 \"YYYY-MM-DD\", \"YYYY-MM-DD HH:MM\" (in `timezone`, default UTC) or an RFC 3339 \
                 timestamp with an offset.",
                input_schema::<TimeUntilArgs>(),
            )
            .with_title("Time until")
            .with_raw_output_schema(output_schema::<TimeUntil>())
            .with_annotations(read_only("Time until")),
            |arguments| {
                let args: TimeUntilArgs = parse_arguments(arguments)?;
                structured_result(&time_until(&args, Timestamp::now())?)
            },
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct CurrentTimeArgs {
    /// IANA time zone name, for example "Europe/Paris"; default "UTC"
    // Optional, and shown as a plain string: no `null` type, no `"default": null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    timezone: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct ConvertTimeArgs {
    /// "HH:MM" (today in the source zone), "YYYY-MM-DD HH:MM", or RFC 3339 with an offset
    time: String,
    /// IANA name of the zone the time is in, for example "America/New_York"
    from_timezone: String,
    /// IANA name of the zone to convert to, for example "Asia/Tokyo"
    to_timezone: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct TimeUntilArgs {
    /// "YYYY-MM-DD", "YYYY-MM-DD HH:MM", or RFC 3339 with an offset
    datetime: String,
    /// IANA zone for a date or time without an offset; default "UTC"
    // Optional, and shown as a plain string: no `null` type, no `"default": null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    timezone: Option<String>,
}

/// A moment as seen in one time zone.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub(crate) struct ZonedTime {
    /// The IANA name of the zone
    pub timezone: String,
    /// RFC 3339, for example "2025-03-01T14:30:00+01:00"
    pub datetime: String,
    /// The day of the week, for example "Saturday"
    pub weekday: String,
    /// The offset from UTC, for example "+01:00"
    pub utc_offset: String,
    /// Whether daylight saving time is in effect
    pub is_dst: bool,
}

impl ZonedTime {
    pub fn at(timestamp: Timestamp, zone: &TimeZone) -> Self {
        Self::of(&timestamp.to_zoned_datetime(zone.clone()))
    }

    fn of(moment: &ZonedDateTime) -> Self {
        let zone = moment.time_zone();
        Self {
            timezone: zone.iana_name().unwrap_or("UTC").to_owned(),
            datetime: moment.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            weekday: moment.strftime("%A").to_string(),
            utc_offset: moment.strftime("%:z").to_string(),
            is_dst: zone.to_offset_info(moment.timestamp()).dst().is_dst(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct Conversion {
    source: ZonedTime,
    target: ZonedTime,
    /// How far the target zone's clock is ahead of the source's, for example "+8h" or "-5h30m"
    time_difference: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct TimeUntil {
    /// The moment, in its zone
    target: ZonedTime,
    /// Seconds from now until the moment; negative when it is in the past
    seconds: i64,
    /// Whether the moment is in the past
    is_past: bool,
    /// The same duration in words, for example "in 2 days and 3 hours" or "5 minutes ago"
    human: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum TimeError {
    #[error(
        "unknown time zone '{name}'{suggestion}: use an IANA name such as UTC, Europe/Paris or \
         America/New_York"
    )]
    UnknownZone { name: String, suggestion: String },
    #[error(
        "cannot read '{text}' as a time: use HH:MM, YYYY-MM-DD, YYYY-MM-DD HH:MM or RFC 3339 \
         such as 2025-03-01T14:30:00+01:00"
    )]
    Unreadable { text: String },
    #[error("{text} does not exist in {zone}: {reason}")]
    NotInZone {
        text: String,
        zone: String,
        reason: jiff::Error,
    },
}

/// Looks a zone up by IANA name, suggesting the closest known name when it is misspelt.
pub(crate) fn time_zone(name: &str) -> Result<TimeZone, TimeError> {
    let name = name.trim();
    TimeZone::get(name).map_err(|_| {
        let closest = jiff::tz::db()
            .available()
            .map(|known| {
                let known = known.as_str().to_owned();
                let score = strsim::jaro_winkler(&name.to_lowercase(), &known.to_lowercase());
                (score, known)
            })
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        TimeError::UnknownZone {
            name: name.to_owned(),
            suggestion: closest
                .map(|(_, known)| format!(" (did you mean {known}?)"))
                .unwrap_or_default(),
        }
    })
}

/// Reads a moment: an RFC 3339 timestamp stands alone; anything without an offset is a wall
/// clock time in `zone`, on today's date there when only the time is given.
fn parse_moment(text: &str, zone: &TimeZone, now: Timestamp) -> Result<ZonedDateTime, TimeError> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Ok(timestamp.to_zoned_datetime(zone.clone()));
    }
    let civil = if let Ok(datetime) = text.parse::<DateTime>() {
        datetime
    } else if let Ok(time) = text.parse::<Time>() {
        now.to_zoned_datetime(zone.clone()).date().to_datetime(time)
    } else if let Ok(date) = text.parse::<Date>() {
        date.to_datetime(Time::midnight())
    } else {
        return Err(TimeError::Unreadable {
            text: text.to_owned(),
        });
    };
    civil
        .to_zoned_datetime(zone.clone())
        .map_err(|reason| TimeError::NotInZone {
            text: text.to_owned(),
            zone: zone.iana_name().unwrap_or("UTC").to_owned(),
            reason,
        })
}

fn convert_time(args: &ConvertTimeArgs, now: Timestamp) -> Result<Conversion, ToolFailure> {
    let from = time_zone(&args.from_timezone)?;
    let to = time_zone(&args.to_timezone)?;
    let source = parse_moment(&args.time, &from, now)?;
    let target = source.with_time_zone(to);
    let difference = target.offset().seconds() - source.offset().seconds();
    Ok(Conversion {
        source: ZonedTime::of(&source),
        target: ZonedTime::of(&target),
        time_difference: offset_difference(difference),
    })
}

fn time_until(args: &TimeUntilArgs, now: Timestamp) -> Result<TimeUntil, ToolFailure> {
    let zone = time_zone(args.timezone.as_deref().unwrap_or("UTC"))?;
    let target = parse_moment(&args.datetime, &zone, now)?;
    let seconds = now.duration_until(target.timestamp()).as_secs();
    Ok(TimeUntil {
        target: ZonedTime::of(&target),
        seconds,
        is_past: seconds < 0,
        human: human_duration(seconds),
    })
}

/// "+8h", "-5h30m", "+0h".
fn offset_difference(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    match (minutes / 60, minutes % 60) {
        (hours, 0) => format!("{sign}{hours}h"),
        (hours, minutes) => format!("{sign}{hours}h{minutes}m"),
    }
}

/// "in 2 days, 3 hours and 5 minutes", "40 seconds ago", "now": the three largest units.
fn human_duration(seconds: i64) -> String {
    if seconds == 0 {
        return "now".to_owned();
    }
    let total = seconds.unsigned_abs();
    let units = [
        (total / 86_400, "day"),
        (total % 86_400 / 3_600, "hour"),
        (total % 3_600 / 60, "minute"),
        (total % 60, "second"),
    ];
    let parts: Vec<String> = units
        .iter()
        .filter(|(count, _)| *count > 0)
        .take(3)
        .map(|(count, unit)| format!("{count} {unit}{}", if *count == 1 { "" } else { "s" }))
        .collect();
    let phrase = match parts.as_slice() {
        [] => "0 seconds".to_owned(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    if seconds > 0 {
        format!("in {phrase}")
    } else {
        format!("{phrase} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        // A Saturday in winter: Paris is on +01:00, New York on -05:00.
        "2025-03-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn current_time_in_a_zone() {
        let paris = time_zone("Europe/Paris").unwrap();
        let time = ZonedTime::at(now(), &paris);
        assert_eq!(
            time,
            ZonedTime {
                timezone: "Europe/Paris".into(),
                datetime: "2025-03-01T13:00:00+01:00".into(),
                weekday: "Saturday".into(),
                utc_offset: "+01:00".into(),
                is_dst: false,
            }
        );
        let summer: Timestamp = "2025-07-01T12:00:00Z".parse().unwrap();
        assert!(ZonedTime::at(summer, &paris).is_dst);
        let utc = ZonedTime::at(now(), &TimeZone::UTC);
        assert_eq!(utc.datetime, "2025-03-01T12:00:00+00:00");
        assert_eq!(utc.timezone, "UTC");
    }

    #[test]
    fn unknown_zones_suggest_a_close_name() {
        let error = time_zone("Europe/Pariss").unwrap_err().to_string();
        assert!(
            error.starts_with("unknown time zone 'Europe/Pariss' (did you mean Europe/Paris?)"),
            "{error}"
        );
        let error = time_zone("Mars/Olympus_Mons").unwrap_err().to_string();
        assert!(
            error.starts_with("unknown time zone 'Mars/Olympus_Mons': use"),
            "{error}"
        );
    }

    #[test]
    fn convert_a_wall_clock_time() {
        let args = ConvertTimeArgs {
            time: "14:30".into(),
            from_timezone: "America/New_York".into(),
            to_timezone: "Europe/Paris".into(),
        };
        let conversion = convert_time(&args, now()).unwrap();
        assert_eq!(conversion.source.datetime, "2025-03-01T14:30:00-05:00");
        assert_eq!(conversion.target.datetime, "2025-03-01T20:30:00+01:00");
        assert_eq!(conversion.time_difference, "+6h");

        let args = ConvertTimeArgs {
            time: "2025-03-01 09:00".into(),
            from_timezone: "Europe/London".into(),
            to_timezone: "Asia/Kolkata".into(),
        };
        let conversion = convert_time(&args, now()).unwrap();
        assert_eq!(conversion.target.datetime, "2025-03-01T14:30:00+05:30");
        assert_eq!(conversion.time_difference, "+5h30m");
    }

    #[test]
    fn convert_an_rfc3339_timestamp() {
        let args = ConvertTimeArgs {
            time: "2025-03-01T23:00:00Z".into(),
            from_timezone: "UTC".into(),
            to_timezone: "Asia/Tokyo".into(),
        };
        let conversion = convert_time(&args, now()).unwrap();
        assert_eq!(conversion.target.datetime, "2025-03-02T08:00:00+09:00");
        assert_eq!(conversion.target.weekday, "Sunday");
    }

    #[test]
    fn unreadable_times_and_gaps_are_explained() {
        let args = ConvertTimeArgs {
            time: "half past two".into(),
            from_timezone: "UTC".into(),
            to_timezone: "UTC".into(),
        };
        let error = convert_time(&args, now()).unwrap_err().to_string();
        assert!(
            error.starts_with("cannot read 'half past two' as a time"),
            "{error}"
        );
    }

    #[test]
    fn time_until_future_and_past() {
        let args = TimeUntilArgs {
            datetime: "2025-03-03T15:05:00Z".into(),
            timezone: None,
        };
        let until = time_until(&args, now()).unwrap();
        assert_eq!(until.seconds, 2 * 86_400 + 3 * 3_600 + 5 * 60);
        assert!(!until.is_past);
        assert_eq!(until.human, "in 2 days, 3 hours and 5 minutes");

        let args = TimeUntilArgs {
            datetime: "2025-03-01".into(),
            timezone: Some("Europe/Paris".into()),
        };
        let until = time_until(&args, now()).unwrap();
        assert_eq!(until.target.datetime, "2025-03-01T00:00:00+01:00");
        assert!(until.is_past);
        assert_eq!(until.human, "13 hours ago");
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(human_duration(0), "now");
        assert_eq!(human_duration(1), "in 1 second");
        assert_eq!(human_duration(-61), "1 minute and 1 second ago");
        assert_eq!(human_duration(90_061), "in 1 day, 1 hour and 1 minute");
        assert_eq!(offset_difference(-19_800), "-5h30m");
        assert_eq!(offset_difference(0), "+0h");
    }
}
