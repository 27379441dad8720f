//! The store contract: what the runtime relies on from a [`Store`], checked the same way on
//! every implementation — Redis, and the embedded store on SQLite and on PostgreSQL (each
//! test on a database of its own, at `SPOOL_TEST_POSTGRES_URL`; the test fails when
//! PostgreSQL cannot be reached).

mod common;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use common::{Backend, TestStore};
use serde_json::json;
use spool_nodes::{Contact, Outbound, OutboundBody};
use spool_runtime::store::{Appended, Batch, Error, Lease, Logged, Store};
use spool_runtime::{ContactState, Event, EventKind, TimerRef};

const PARTITIONS: u16 = 4;
const TTL: Duration = Duration::from_secs(10);

/// Runs each test on each store, as `on_redis::<name>`, `on_sqlite::<name>` and
/// `on_postgres::<name>`.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_redis {
            $(
                #[tokio::test]
                async fn $name() {
                    super::run(super::Backend::Redis, super::$name).await;
                }
            )*
        }
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::run(super::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::run(super::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}

contract!(
    append_takes_each_dedupe_key_once,
    read_returns_the_partitions_events_after_the_cursor_in_order,
    a_lease_is_exclusive_and_its_tokens_increase,
    an_expired_lease_is_taken_over_and_its_stale_holder_changes_nothing,
    a_released_lease_can_neither_commit_nor_fire,
    a_commit_applies_every_part,
    due_timers_fire_once_in_order_as_timer_events,
    the_outbox_keeps_order_and_mark_sent_takes_messages_out,
    counters_are_summed_across_batches_and_partitions,
    unknown_contacts_load_as_none,
    concurrent_appends_are_each_read_once_in_order,
);

async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = TestStore::new(backend, PARTITIONS).await;
    test(store.store.clone()).await;
    store.finish().await;
}

/// The `n`-th contact id (from 0) that lives in `partition`.
fn contact_in(store: &dyn Store, partition: u16, n: usize) -> String {
    (0..)
        .map(|i| format!("wa:55119{i:08}"))
        .filter(|id| store.partition_of(id) == partition)
        .nth(n)
        .expect("some contact lands in every partition")
}

/// An event that carries `n`, to recognise it when read back.
fn event(contact: &str, n: u64) -> Event {
    let phone = contact.trim_start_matches("wa:");
    Event::new(
        contact,
        phone,
        1_000,
        EventKind::Webhook {
            flow_id: "contract".into(),
            payload: json!({ "n": n }),
        },
    )
}

fn n_of(logged: &Logged) -> u64 {
    match &logged.event.kind {
        EventKind::Webhook { payload, .. } => payload["n"].as_u64().expect("n"),
        other => panic!("not a test event: {other:?}"),
    }
}

fn ns(logged: &[Logged]) -> Vec<u64> {
    logged.iter().map(n_of).collect()
}

fn state(contact: &str, name: &str) -> ContactState {
    let mut contact = Contact::new(contact, contact.trim_start_matches("wa:"));
    contact.name = Some(name.to_owned());
    ContactState::new(contact)
}

fn message(contact: &str, key: &str) -> Outbound {
    Outbound {
        key: key.to_owned(),
        contact_id: contact.to_owned(),
        to: contact.trim_start_matches("wa:").to_owned(),
        run_id: "run.1".into(),
        node_id: "send".into(),
        body: OutboundBody::Text {
            text: format!("text of {key}"),
            preview_url: false,
        },
    }
}

fn timer(contact: &str, run: &str, token: u64) -> TimerRef {
    TimerRef {
        contact_id: contact.to_owned(),
        run_id: run.to_owned(),
        token,
    }
}

async fn acquire(store: &dyn Store, partition: u16) -> Lease {
    store
        .acquire(partition, TTL)
        .await
        .expect("store reachable")
        .expect("the partition is free")
}

async fn read_all(store: &dyn Store, lease: &Lease) -> Vec<Logged> {
    store.read(lease, 1_000).await.expect("read")
}

fn names(states: &[Option<ContactState>]) -> Vec<Option<String>> {
    states
        .iter()
        .map(|state| state.as_ref().and_then(|state| state.contact.name.clone()))
        .collect()
}

async fn append_takes_each_dedupe_key_once(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let ana = contact_in(s, 0, 0);
    let keyed = event(&ana, 1).with_dedupe_key("msg:wamid.1");
    assert_eq!(s.append(&keyed).await.expect("append"), Appended::Accepted);
    assert_eq!(s.append(&keyed).await.expect("append"), Appended::Duplicate);
    // Without a key every event is taken.
    assert_eq!(
        s.append(&event(&ana, 2)).await.expect("append"),
        Appended::Accepted
    );
    assert_eq!(
        s.append(&event(&ana, 2)).await.expect("append"),
        Appended::Accepted
    );
    // The same payload under another key is another event.
    let other = event(&ana, 3).with_dedupe_key("msg:wamid.2");
    assert_eq!(s.append(&other).await.expect("append"), Appended::Accepted);

    let lease = acquire(s, 0).await;
    let logged = read_all(s, &lease).await;
    assert_eq!(ns(&logged), [1, 2, 2, 3]);
    assert_eq!(logged[0].event, keyed, "the event reads back as it was");

    // Still a duplicate once applied.
    let batch = Batch {
        position: logged[3].position.clone(),
        ..Batch::default()
    };
    s.commit(&lease, batch).await.expect("commit");
    assert_eq!(s.append(&keyed).await.expect("append"), Appended::Duplicate);
    assert!(read_all(s, &lease).await.is_empty());
}

async fn read_returns_the_partitions_events_after_the_cursor_in_order(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (ana, ben) = (contact_in(s, 1, 0), contact_in(s, 1, 1));
    let elsewhere = contact_in(s, 2, 0);
    for n in 0..5 {
        let contact = if n % 2 == 0 { &ana } else { &ben };
        s.append(&event(contact, n)).await.expect("append");
        s.append(&event(&elsewhere, 100 + n)).await.expect("append");
    }
    let lease = acquire(s, 1).await;
    let first = s.read(&lease, 3).await.expect("read");
    assert_eq!(ns(&first), [0, 1, 2]);
    assert_eq!(first[0].event.contact_id, ana);
    assert_eq!(first[1].event.contact_id, ben);
    // Reading again without a commit reads the same events.
    assert_eq!(ns(&s.read(&lease, 3).await.expect("read")), [0, 1, 2]);

    let batch = Batch {
        position: first[2].position.clone(),
        ..Batch::default()
    };
    s.commit(&lease, batch).await.expect("commit");
    let rest = read_all(s, &lease).await;
    assert_eq!(ns(&rest), [3, 4]);

    // Appended after a commit: read after what was left.
    s.append(&event(&ana, 5)).await.expect("append");
    assert_eq!(ns(&read_all(s, &lease).await), [3, 4, 5]);

    let other = acquire(s, 2).await;
    assert_eq!(ns(&read_all(s, &other).await), [100, 101, 102, 103, 104]);
}

async fn a_lease_is_exclusive_and_its_tokens_increase(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let first = acquire(s, 0).await;
    assert_eq!(first.partition, 0);
    assert!(
        s.acquire(0, TTL).await.expect("acquire").is_none(),
        "held by the first"
    );
    let elsewhere = acquire(s, 1).await;
    assert_eq!(elsewhere.partition, 1);

    // Only the holder's token renews or releases.
    let impostor = Lease {
        partition: 0,
        token: first.token + 1,
    };
    assert!(!s.renew(&impostor, TTL).await.expect("renew"));
    s.release(&impostor).await.expect("release");
    assert!(s.acquire(0, TTL).await.expect("acquire").is_none());
    assert!(s.renew(&first, TTL).await.expect("renew"));

    s.release(&first).await.expect("release");
    let second = acquire(s, 0).await;
    assert!(second.token > first.token, "{second:?} after {first:?}");
    assert!(!s.renew(&first, TTL).await.expect("renew"));
    s.release(&second).await.expect("release");
    let third = acquire(s, 0).await;
    assert!(third.token > second.token);
}

async fn an_expired_lease_is_taken_over_and_its_stale_holder_changes_nothing(
    store: Arc<dyn Store>,
) {
    let s = store.as_ref();
    let ana = contact_in(s, 3, 0);
    s.append(&event(&ana, 1)).await.expect("append");
    s.append(&event(&ana, 2)).await.expect("append");
    let stale = s
        .acquire(3, Duration::from_millis(100))
        .await
        .expect("acquire")
        .expect("free");
    let logged = read_all(s, &stale).await;
    assert_eq!(ns(&logged), [1, 2]);
    tokio::time::sleep(Duration::from_millis(250)).await;

    assert!(
        !s.renew(&stale, TTL).await.expect("renew"),
        "an expired lease cannot be renewed"
    );
    let current = acquire(s, 3).await;
    assert!(current.token > stale.token);

    let mut counters = HashMap::new();
    counters.insert("v1|send|entered".to_owned(), 1);
    let batch = Batch {
        position: logged[1].position.clone(),
        states: vec![state(&ana, "Ana")],
        outbox: vec![message(&ana, "m1")],
        timers_set: vec![(timer(&ana, "run.1", 1), 5_000)],
        timers_cleared: Vec::new(),
        counters,
    };
    match s.commit(&stale, batch).await {
        Err(Error::LeaseLost(3)) => {}
        other => panic!("a stale commit must fail with LeaseLost(3): {other:?}"),
    }
    match s.fire_due_timers(&stale, 10_000, 100).await {
        Err(Error::LeaseLost(3)) => {}
        other => panic!("a stale fire must fail with LeaseLost(3): {other:?}"),
    }

    // Nothing of the stale batch happened.
    assert_eq!(ns(&read_all(s, &current).await), [1, 2]);
    assert!(s.contact(&ana).await.expect("contact").is_none());
    assert!(s.outbox(3, 100).await.expect("outbox").is_empty());
    assert!(s.timers(&ana).await.expect("timers").is_empty());
    assert!(s.counters("v1").await.expect("counters").is_empty());

    // The new holder commits.
    let batch = Batch {
        position: logged[1].position.clone(),
        states: vec![state(&ana, "Ana")],
        ..Batch::default()
    };
    s.commit(&current, batch).await.expect("commit");
    assert!(read_all(s, &current).await.is_empty());
    assert!(s.contact(&ana).await.expect("contact").is_some());
}

async fn a_released_lease_can_neither_commit_nor_fire(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let ana = contact_in(s, 0, 0);
    s.append(&event(&ana, 1)).await.expect("append");
    let lease = acquire(s, 0).await;
    let logged = read_all(s, &lease).await;
    s.release(&lease).await.expect("release");
    let batch = Batch {
        position: logged[0].position.clone(),
        states: vec![state(&ana, "Ana")],
        ..Batch::default()
    };
    assert!(matches!(
        s.commit(&lease, batch).await,
        Err(Error::LeaseLost(0))
    ));
    assert!(matches!(
        s.fire_due_timers(&lease, 10_000, 100).await,
        Err(Error::LeaseLost(0))
    ));
    assert!(s.contact(&ana).await.expect("contact").is_none());
    let again = acquire(s, 0).await;
    assert_eq!(ns(&read_all(s, &again).await), [1]);
}

async fn a_commit_applies_every_part(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (ana, ben) = (contact_in(s, 2, 0), contact_in(s, 2, 1));
    for n in 0..3 {
        s.append(&event(&ana, n)).await.expect("append");
    }
    let lease = acquire(s, 2).await;
    let logged = s.read(&lease, 2).await.expect("read");

    let mut counters = HashMap::new();
    counters.insert("v1|ask|entered".to_owned(), 2);
    counters.insert("v1|ask|port:next".to_owned(), 1);
    let batch = Batch {
        position: logged[1].position.clone(),
        states: vec![state(&ana, "Ana"), state(&ben, "Ben")],
        outbox: vec![
            message(&ana, "m1"),
            message(&ben, "m2"),
            message(&ana, "m3"),
        ],
        timers_set: vec![
            (timer(&ana, "run.1", 1), 5_000),
            (timer(&ana, "run.2", 2), 7_000),
            (timer(&ben, "run.3", 3), 6_000),
        ],
        timers_cleared: Vec::new(),
        counters,
    };
    s.commit(&lease, batch).await.expect("commit");

    let loaded = s.load(2, &[ana.clone(), ben.clone()]).await.expect("load");
    assert_eq!(
        names(&loaded),
        [Some("Ana".to_owned()), Some("Ben".to_owned())]
    );
    let keys: Vec<String> = s
        .outbox(2, 100)
        .await
        .expect("outbox")
        .into_iter()
        .map(|pending| pending.message.key)
        .collect();
    assert_eq!(keys, ["m1", "m2", "m3"]);
    assert_eq!(
        s.timers(&ana).await.expect("timers"),
        [
            (timer(&ana, "run.1", 1), 5_000),
            (timer(&ana, "run.2", 2), 7_000)
        ]
    );
    assert_eq!(
        s.timers(&ben).await.expect("timers"),
        [(timer(&ben, "run.3", 3), 6_000)]
    );
    let counted = s.counters("v1").await.expect("counters");
    assert_eq!(counted.get("ask|entered"), Some(&2));
    assert_eq!(counted.get("ask|port:next"), Some(&1));
    assert_eq!(ns(&read_all(s, &lease).await), [2]);

    // The next batch: a state replaced, a timer cleared and one moved, counters added.
    let logged = read_all(s, &lease).await;
    let mut counters = HashMap::new();
    counters.insert("v1|ask|entered".to_owned(), 3);
    let batch = Batch {
        position: logged[0].position.clone(),
        states: vec![state(&ana, "Ana Maria")],
        outbox: vec![message(&ana, "m4")],
        timers_set: vec![(timer(&ben, "run.3", 3), 9_000)],
        timers_cleared: vec![timer(&ana, "run.1", 1)],
        counters,
    };
    s.commit(&lease, batch).await.expect("commit");
    assert_eq!(
        names(&s.load(2, &[ana.clone(), ben.clone()]).await.expect("load")),
        [Some("Ana Maria".to_owned()), Some("Ben".to_owned())]
    );
    assert_eq!(
        s.timers(&ana).await.expect("timers"),
        [(timer(&ana, "run.2", 2), 7_000)]
    );
    assert_eq!(
        s.timers(&ben).await.expect("timers"),
        [(timer(&ben, "run.3", 3), 9_000)]
    );
    assert_eq!(s.outbox(2, 100).await.expect("outbox").len(), 4);
    assert_eq!(
        s.counters("v1").await.expect("counters").get("ask|entered"),
        Some(&5)
    );
    assert!(read_all(s, &lease).await.is_empty());
}

async fn due_timers_fire_once_in_order_as_timer_events(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (ana, ben) = (contact_in(s, 1, 0), contact_in(s, 1, 1));
    let elsewhere = contact_in(s, 0, 0);
    let lease = acquire(s, 1).await;
    let other = acquire(s, 0).await;
    s.append(&event(&ana, 0)).await.expect("append");
    let logged = read_all(s, &lease).await;
    let batch = Batch {
        position: logged[0].position.clone(),
        timers_set: vec![
            (timer(&ana, "run.1", 4), 3_000),
            (timer(&ben, "run.2", 5), 1_000),
            (timer(&ana, "run.3", 6), 2_000),
            (timer(&ben, "run.4", 7), 9_000),
        ],
        ..Batch::default()
    };
    s.commit(&lease, batch).await.expect("commit");
    let mut other_timers = Batch {
        position: String::new(),
        timers_set: vec![(timer(&elsewhere, "run.9", 1), 1_000)],
        ..Batch::default()
    };
    s.append(&event(&elsewhere, 0)).await.expect("append");
    other_timers.position = read_all(s, &other).await[0].position.clone();
    s.commit(&other, other_timers).await.expect("commit");

    assert_eq!(s.fire_due_timers(&lease, 500, 100).await.expect("fire"), 0);
    assert_eq!(s.fire_due_timers(&lease, 3_000, 2).await.expect("fire"), 2);
    assert_eq!(
        s.fire_due_timers(&lease, 3_000, 100).await.expect("fire"),
        1
    );
    assert_eq!(
        s.fire_due_timers(&lease, 3_000, 100).await.expect("fire"),
        0
    );

    let fired: Vec<(String, String, u64)> = read_all(s, &lease)
        .await
        .into_iter()
        .map(|logged| match logged.event.kind {
            EventKind::Timer { run_id, token } => (logged.event.contact_id, run_id, token),
            other => panic!("a timer event: {other:?}"),
        })
        .collect();
    assert_eq!(
        fired,
        [
            (ben.clone(), "run.2".to_owned(), 5),
            (ana.clone(), "run.3".to_owned(), 6),
            (ana.clone(), "run.1".to_owned(), 4),
        ]
    );
    assert!(s.timers(&ana).await.expect("timers").is_empty());
    assert_eq!(
        s.timers(&ben).await.expect("timers"),
        [(timer(&ben, "run.4", 7), 9_000)]
    );
    // Another partition's timers are its own.
    assert_eq!(s.timers(&elsewhere).await.expect("timers").len(), 1);
    assert_eq!(
        s.fire_due_timers(&other, 3_000, 100).await.expect("fire"),
        1
    );
    assert!(s.timers(&elsewhere).await.expect("timers").is_empty());
}

async fn the_outbox_keeps_order_and_mark_sent_takes_messages_out(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let ana = contact_in(s, 3, 0);
    let lease = acquire(s, 3).await;
    for (n, keys) in [["a1", "a2"], ["a3", "a4"]].iter().enumerate() {
        s.append(&event(&ana, n as u64)).await.expect("append");
        let logged = read_all(s, &lease).await;
        let batch = Batch {
            position: logged[0].position.clone(),
            outbox: keys.iter().map(|key| message(&ana, key)).collect(),
            ..Batch::default()
        };
        s.commit(&lease, batch).await.expect("commit");
    }
    assert!(s.outbox(0, 100).await.expect("outbox").is_empty());
    let first = s.outbox(3, 3).await.expect("outbox");
    let keys: Vec<&str> = first.iter().map(|p| p.message.key.as_str()).collect();
    assert_eq!(keys, ["a1", "a2", "a3"]);
    assert_eq!(first[0].message, message(&ana, "a1"));

    s.mark_sent(3, &first[..2]).await.expect("mark_sent");
    let rest: Vec<String> = s
        .outbox(3, 100)
        .await
        .expect("outbox")
        .into_iter()
        .map(|p| p.message.key)
        .collect();
    assert_eq!(rest, ["a3", "a4"]);
    s.mark_sent(3, &[]).await.expect("nothing to mark");
    let rest = s.outbox(3, 100).await.expect("outbox");
    s.mark_sent(3, &rest).await.expect("mark_sent");
    assert!(s.outbox(3, 100).await.expect("outbox").is_empty());
}

async fn counters_are_summed_across_batches_and_partitions(store: Arc<dyn Store>) {
    let s = store.as_ref();
    for partition in 0..PARTITIONS {
        let contact = contact_in(s, partition, 0);
        let lease = acquire(s, partition).await;
        for round in 0..2 {
            s.append(&event(&contact, round)).await.expect("append");
            let logged = read_all(s, &lease).await;
            let mut counters = HashMap::new();
            counters.insert("v1|ask|entered".to_owned(), 1);
            counters.insert("v1|ask|port:yes".to_owned(), i64::from(partition));
            counters.insert("v2|ask|entered".to_owned(), 10);
            let batch = Batch {
                position: logged[0].position.clone(),
                counters,
                ..Batch::default()
            };
            s.commit(&lease, batch).await.expect("commit");
        }
    }
    let v1 = s.counters("v1").await.expect("counters");
    assert_eq!(v1.len(), 2, "{v1:?}");
    assert_eq!(v1.get("ask|entered"), Some(&8));
    assert_eq!(v1.get("ask|port:yes"), Some(&12));
    let v2 = s.counters("v2").await.expect("counters");
    assert_eq!(v2.get("ask|entered"), Some(&80));
    assert!(s.counters("v3").await.expect("counters").is_empty());
}

async fn unknown_contacts_load_as_none(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (ana, nobody) = (contact_in(s, 0, 0), contact_in(s, 0, 1));
    assert!(s.load(0, &[]).await.expect("load").is_empty());
    assert_eq!(
        names(
            &s.load(0, std::slice::from_ref(&nobody))
                .await
                .expect("load")
        ),
        [None]
    );
    s.append(&event(&ana, 0)).await.expect("append");
    let lease = acquire(s, 0).await;
    let logged = read_all(s, &lease).await;
    let batch = Batch {
        position: logged[0].position.clone(),
        states: vec![state(&ana, "Ana")],
        ..Batch::default()
    };
    s.commit(&lease, batch).await.expect("commit");
    assert_eq!(
        names(
            &s.load(0, &[nobody.clone(), ana.clone(), nobody.clone()])
                .await
                .expect("load")
        ),
        [None, Some("Ana".to_owned()), None]
    );
    assert!(s.contact(&nobody).await.expect("contact").is_none());
    assert_eq!(
        s.contact(&ana)
            .await
            .expect("contact")
            .map(|c| c.contact.id),
        Some(ana.clone())
    );
    assert!(s.timers(&nobody).await.expect("timers").is_empty());
}

/// Writers append while the lease holder reads and commits: every event is read exactly
/// once, and each writer's events in the order it appended them.
async fn concurrent_appends_are_each_read_once_in_order(store: Arc<dyn Store>) {
    const WRITERS: u64 = 4;
    const EACH: u64 = 40;
    let contacts: Vec<String> = (0..WRITERS as usize)
        .map(|n| contact_in(store.as_ref(), 1, n))
        .collect();
    let writers: Vec<_> = contacts
        .iter()
        .enumerate()
        .map(|(w, contact)| {
            let store = store.clone();
            let contact = contact.clone();
            tokio::spawn(async move {
                for i in 0..EACH {
                    let n = w as u64 * 1_000 + i;
                    let keyed = event(&contact, n).with_dedupe_key(format!("k{n}"));
                    assert_eq!(
                        store.append(&keyed).await.expect("append"),
                        Appended::Accepted
                    );
                }
            })
        })
        .collect();

    let s = store.as_ref();
    let lease = acquire(s, 1).await;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while (seen.len() as u64) < WRITERS * EACH && tokio::time::Instant::now() < deadline {
        let logged = s.read(&lease, 16).await.expect("read");
        let Some(last) = logged.last() else {
            tokio::task::yield_now().await;
            continue;
        };
        let batch = Batch {
            position: last.position.clone(),
            ..Batch::default()
        };
        s.commit(&lease, batch).await.expect("commit");
        seen.extend(ns(&logged));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    assert!(read_all(s, &lease).await.is_empty(), "nothing left behind");
    assert_eq!(seen.len() as u64, WRITERS * EACH, "every event read once");
    let unique: HashSet<u64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no event read twice");
    for w in 0..WRITERS {
        let mine: Vec<u64> = seen.iter().copied().filter(|n| n / 1_000 == w).collect();
        assert!(
            mine.windows(2).all(|pair| pair[0] < pair[1]),
            "writer {w} out of order: {mine:?}"
        );
    }
}
