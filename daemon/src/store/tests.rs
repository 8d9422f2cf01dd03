use super::records::Approver;
use super::*;
use crate::config::ActivityConfig;
use crate::protocol::{Activity, CallOutcome, CallVariant};
use std::sync::Arc;

fn key<'a>(server: &'a str, name: &'a str) -> ItemKey<'a> {
    ItemKey {
        server,
        kind: ItemKind::Tool,
        name,
    }
}

fn pin(hash: &str) -> Pin {
    Pin {
        hash: hash.to_owned(),
        content: serde_json::json!({"name": "echo", "description": hash}),
        at: jiff::Timestamp::UNIX_EPOCH,
        by: Approver::Person,
    }
}

#[test]
fn a_pin_survives_reopening_and_pins_are_kept_per_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    {
        let store = Store::open(&path).unwrap();
        store
            .apply(&[
                (key("a", "echo"), Change::Pin(pin("h1"))),
                (key("ab", "echo"), Change::Pin(pin("h2"))),
                (key("b", "add"), Change::Pin(pin("h3"))),
            ])
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.pin(key("a", "echo")).unwrap(), Some(pin("h1")));
    assert_eq!(store.pin(key("a", "add")).unwrap(), None);
    let of_a: Vec<_> = store
        .pins_of("a")
        .unwrap()
        .into_iter()
        .map(|(kind, name, pin)| (kind, name, pin.hash))
        .collect();
    assert_eq!(of_a, [(ItemKind::Tool, "echo".to_owned(), "h1".to_owned())]);
}

#[test]
fn a_rejection_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data.redb")).unwrap();
    let rejection = Rejection {
        hash: "h".into(),
        content: serde_json::json!({}),
        at: jiff::Timestamp::UNIX_EPOCH,
    };
    store
        .apply(&[(key("a", "t"), Change::Reject(rejection.clone()))])
        .unwrap();
    assert_eq!(store.rejection(key("a", "t")).unwrap(), Some(rejection));
    store
        .apply(&[(key("a", "t"), Change::ClearRejection)])
        .unwrap();
    assert_eq!(store.rejection(key("a", "t")).unwrap(), None);
}

#[test]
fn a_damaged_file_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    let garbage = vec![0x5a_u8; 8192];
    std::fs::write(&path, &garbage).unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(
        matches!(error, StoreError::Damaged { .. }),
        "{error:?} should say the file is damaged"
    );
    assert!(error.to_string().contains("data.redb"), "{error}");
    assert!(error.hint().unwrap().contains("mv "), "{:?}", error.hint());
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "the file is kept");
}

#[test]
fn a_truncated_file_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    {
        let store = Store::open(&path).unwrap();
        store
            .apply(&[(key("a", "echo"), Change::Pin(pin("h1")))])
            .unwrap();
    }
    let whole = std::fs::read(&path).unwrap();
    std::fs::write(&path, &whole[..whole.len() / 3]).unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(
        matches!(error, StoreError::Damaged { .. }),
        "{error:?} should say the file is damaged"
    );
    assert_eq!(std::fs::read(&path).unwrap(), whole[..whole.len() / 3]);
}

#[test]
fn a_file_from_a_newer_daemon_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    {
        let db = Database::create(&path).unwrap();
        let write = db.begin_write().unwrap();
        write
            .open_table(schema::META)
            .unwrap()
            .insert(schema::VERSION_KEY, SCHEMA_VERSION + 1)
            .unwrap();
        commit(write).unwrap();
    }
    let error = Store::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::Newer { found, .. } if found == SCHEMA_VERSION + 1));
}

#[test]
fn opening_twice_migrates_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    drop(Store::open(&path).unwrap());
    let store = Store::open(&path).unwrap();
    let read = store.db.begin_read().unwrap();
    let meta = read.open_table(schema::META).unwrap();
    assert_eq!(
        meta.get(schema::VERSION_KEY).unwrap().unwrap().value(),
        SCHEMA_VERSION
    );
}

fn call(id: u64, server: &str) -> Activity {
    Activity {
        id,
        at: jiff::Timestamp::from_second(1_790_000_000 + i64::try_from(id).unwrap()).unwrap(),
        client: None,
        server: server.to_owned(),
        tool: "echo".to_owned(),
        variant: CallVariant::Api,
        outcome: CallOutcome::Ok,
        duration_ms: Some(3),
        bytes_in: 10,
        bytes_out: 20,
        error: None,
        arguments: Some(format!("{{\"n\":{id}}}")),
        result: None,
    }
}

fn keep(keep: u64) -> Retention {
    Retention { keep, oldest: None }
}

#[test]
fn the_activity_log_keeps_the_newest_calls_and_reads_them_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_activity_id().unwrap(), 0);
        store
            .append_activity(&[call(1, "a"), call(2, "b"), call(3, "a")], keep(10))
            .unwrap();
        store.append_activity(&[call(4, "a")], keep(3)).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.last_activity_id().unwrap(), 4);
    let ids = |calls: Vec<Activity>| calls.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.activity(10, None, |_| true).unwrap()),
        [4, 3, 2],
        "call 1 gave way"
    );
    assert_eq!(
        ids(store.activity(10, None, |c| c.server == "a").unwrap()),
        [4, 3]
    );
    assert_eq!(ids(store.activity(1, None, |_| true).unwrap()), [4]);
}

#[test]
fn activity_pages_with_before_and_gives_way_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data.redb")).unwrap();
    let calls: Vec<Activity> = (1..=5).map(|id| call(id, "a")).collect();
    store.append_activity(&calls, keep(10)).unwrap();
    let ids = |calls: Vec<Activity>| calls.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(store.activity(2, Some(4), |_| true).unwrap()), [3, 2]);
    assert_eq!(store.activity_call(2).unwrap().unwrap().id, 2);
    assert!(store.activity_call(9).unwrap().is_none());
    // Calls 1 and 2 ended before call 3's time.
    let oldest = Some(calls[2].at);
    store
        .append_activity(&[], Retention { keep: 10, oldest })
        .unwrap();
    assert_eq!(ids(store.activity(10, None, |_| true).unwrap()), [5, 4, 3]);
}

/// Settings that keep the test calls (they are from 2026).
fn for_years() -> ActivityConfig {
    ActivityConfig {
        max_age: std::time::Duration::from_secs(3650 * 24 * 3600),
        ..ActivityConfig::default()
    }
}

/// Waits until the store holds `count` calls, or fails after a deadline.
fn wait_for_calls(store: &Store, count: usize) -> Vec<Activity> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let calls = store.activity(usize::MAX, None, |_| true).unwrap();
        if calls.len() >= count || std::time::Instant::now() > deadline {
            return calls;
        }
        std::thread::yield_now();
    }
}

#[test]
fn the_journal_is_replayed_on_open_and_a_torn_last_line_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("activity.journal");
    let line = |id| {
        let mut line = serde_json::to_vec(&call(id, "a")).unwrap();
        line.push(b'\n');
        line
    };
    // A batch being committed when the daemon died, and the calls after it.
    std::fs::write(
        dir.path().join("activity.journal.1"),
        [line(1), line(2)].concat(),
    )
    .unwrap();
    let mut live = [line(3), line(4)].concat();
    live.extend_from_slice(&line(5)[..20]);
    std::fs::write(&journal, live).unwrap();
    // Call 2 was committed already: replaying it again changes nothing.
    let store = Arc::new(Store::open(&dir.path().join("data.redb")).unwrap());
    store.append_activity(&[call(2, "a")], keep(10)).unwrap();

    let log = ActivityLog::open(Arc::clone(&store), &journal, for_years()).unwrap();
    let ids: Vec<u64> = store
        .activity(10, None, |_| true)
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    assert_eq!(store.last_activity_id().unwrap(), 4);
    assert!(!dir.path().join("activity.journal.1").exists());
    assert_eq!(std::fs::read(&journal).unwrap().len(), 0);

    // Recorded calls are in the journal at once, and in the store soon after; the
    // journal of a committed batch goes.
    for id in 10..110 {
        log.record(call(id, "b"));
    }
    assert_eq!(wait_for_calls(&store, 104).len(), 104);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while dir.path().join("activity.journal.1").exists() && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert!(!dir.path().join("activity.journal.1").exists());
}

#[test]
fn a_log_that_does_not_record_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("activity.journal");
    let store = Arc::new(Store::open(&dir.path().join("data.redb")).unwrap());
    let settings = ActivityConfig {
        record: false,
        ..for_years()
    };
    let log = ActivityLog::open(Arc::clone(&store), &journal, settings).unwrap();
    log.record(call(1, "a"));
    assert_eq!(std::fs::read(&journal).unwrap().len(), 0);
    log.configure(for_years());
    log.record(call(2, "a"));
    assert_eq!(wait_for_calls(&store, 1).len(), 1);
}
