use super::records::Approver;
use super::*;
use crate::protocol::{Activity, CallOutcome, CallVariant};

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
    }
}

#[test]
fn the_activity_log_keeps_the_newest_calls_and_reads_them_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.redb");
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_activity_id().unwrap(), 0);
        store
            .append_activity(&[call(1, "a"), call(2, "b"), call(3, "a")], 10)
            .unwrap();
        store.append_activity(&[call(4, "a")], 3).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.last_activity_id().unwrap(), 4);
    let ids = |calls: Vec<Activity>| calls.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.activity(10, |_| true).unwrap()),
        [4, 3, 2],
        "call 1 gave way"
    );
    assert_eq!(
        ids(store.activity(10, |c| c.server == "a").unwrap()),
        [4, 3]
    );
    assert_eq!(ids(store.activity(1, |_| true).unwrap()), [4]);
}
