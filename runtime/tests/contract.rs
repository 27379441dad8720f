//! The store contract: what the runtime relies on from a [`Store`], checked the same way on
//! every implementation — Redis, and the embedded store on SQLite and on PostgreSQL (each
//! test on a database of its own, at `SPOOL_TEST_POSTGRES_URL`; the test fails when
//! PostgreSQL cannot be reached).

mod common;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use common::{Backend, Inspector, TestStore};
use serde_json::json;
use spool_nodes::identity::{Bsuid, ContactIdentity, Phone};
use spool_nodes::{
    CallAnswer, CallRequest, Contact, HOUR, HttpCall, HttpMethod, Millis, Outbound, OutboundBody,
};
use spool_runtime::state::PendingCall;
use spool_runtime::store::{Appended, Batch, Erased, Error, Lease, Logged, Store};
use spool_runtime::{ContactState, CountKey, Counter, Event, EventKind, TimerRef};

const PARTITIONS: u16 = 4;
const TTL: Duration = Duration::from_secs(10);

/// Runs each test on each store, as `on_redis::<name>`, `on_sqlite::<name>` and
/// `on_postgres::<name>`.
macro_rules! contract {
    ($($name:ident),* $(,)?; inspected: $($inspected:ident),* $(,)?) => {
        mod on_redis {
            $(
                #[tokio::test]
                async fn $name() {
                    super::run(super::Backend::Redis, super::$name).await;
                }
            )*
            $(
                #[tokio::test]
                async fn $inspected() {
                    super::run_inspected(super::Backend::Redis, super::$inspected).await;
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
            $(
                #[tokio::test]
                async fn $inspected() {
                    super::run_inspected(super::Backend::Sqlite, super::$inspected).await;
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
            $(
                #[tokio::test]
                async fn $inspected() {
                    super::run_inspected(super::Backend::Postgres, super::$inspected).await;
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
    a_pending_call_stays_until_answered_and_its_answer_is_logged_once,
    counters_are_summed_across_batches_and_partitions,
    counters_are_kept_by_the_hour,
    unknown_contacts_load_as_none,
    read_batch_brings_each_contacts_state_once_with_its_events,
    concurrent_appends_are_each_read_once_in_order,
    erasing_an_unknown_contact_finds_nothing,
    an_identifier_is_linked_once_and_the_first_link_wins,
    a_contact_keeps_its_id_when_its_second_identifier_becomes_known,
    first_messages_racing_agree_on_one_contact;
    inspected: erasing_a_contact_leaves_nothing_of_it_anywhere,
    erasing_a_contact_removes_the_identifiers_linked_to_it,
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

/// For tests that also look at the store's raw contents.
async fn run_inspected<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<dyn Store>, Inspector) -> Fut,
    Fut: Future<Output = ()>,
{
    let store = TestStore::new(backend, PARTITIONS).await;
    test(store.store.clone(), store.inspector()).await;
    store.finish().await;
}

/// 2026-11-23T10:00:00Z, the start of an hour.
const TEN: Millis = 1_795_428_000_000;

/// A version's counts over all time.
async fn counted(store: &dyn Store, version: &str) -> HashMap<CountKey, i64> {
    store
        .counters(version, Millis::MIN / 2, Millis::MAX / 2)
        .await
        .expect("counters")
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
            trigger: None,
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
        to_user_id: None,
        channel: None,
        run_id: "run.1".into(),
        node_id: "send".into(),
        body: OutboundBody::Text {
            text: format!("text of {key}"),
            preview_url: false,
        },
        window_closed: false,
        author: None,
    }
}

fn pending_call(contact: &str, run: &str, token: u64) -> PendingCall {
    PendingCall {
        key: format!("key-{contact}-{run}-{token}"),
        contact_id: contact.to_owned(),
        phone: contact.trim_start_matches("wa:").to_owned(),
        run_id: run.to_owned(),
        token,
        reply: false,
        request: CallRequest::Http {
            call: HttpCall {
                method: HttpMethod::Post,
                url: "http://crm.test/score".into(),
                headers: Vec::new(),
                body: Some(format!("{{\"who\":\"{contact}\"}}")),
                timeout: Duration::from_secs(10),
                retries: 2,
            },
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
    counters.insert(Counter::new("v1", "send", "entered"), 1);
    let batch = Batch {
        position: logged[1].position.clone(),
        states: vec![state(&ana, "Ana")],
        outbox: vec![message(&ana, "m1")],
        timers_set: vec![(timer(&ana, "run.1", 1), 5_000)],
        timers_cleared: Vec::new(),
        calls: Vec::new(),
        counters,
        at: TEN,
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
    assert!(counted(s, "v1").await.is_empty());

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
    counters.insert(Counter::new("v1", "ask", "entered"), 2);
    counters.insert(Counter::new("v1", "ask", "port:next"), 1);
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
        calls: Vec::new(),
        counters,
        at: TEN,
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
    let counts = counted(s, "v1").await;
    assert_eq!(counts.get(&CountKey::new("ask", "entered")), Some(&2));
    assert_eq!(counts.get(&CountKey::new("ask", "port:next")), Some(&1));
    assert_eq!(ns(&read_all(s, &lease).await), [2]);

    // The next batch: a state replaced, a timer cleared and one moved, counters added.
    let logged = read_all(s, &lease).await;
    let mut counters = HashMap::new();
    counters.insert(Counter::new("v1", "ask", "entered"), 3);
    let batch = Batch {
        position: logged[0].position.clone(),
        states: vec![state(&ana, "Ana Maria")],
        outbox: vec![message(&ana, "m4")],
        timers_set: vec![(timer(&ben, "run.3", 3), 9_000)],
        timers_cleared: vec![timer(&ana, "run.1", 1)],
        calls: Vec::new(),
        counters,
        at: TEN,
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
        counted(s, "v1").await.get(&CountKey::new("ask", "entered")),
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

async fn a_pending_call_stays_until_answered_and_its_answer_is_logged_once(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let ana = contact_in(s, 2, 0);
    let ben = contact_in(s, 2, 1);
    let lease = acquire(s, 2).await;
    s.append(&event(&ana, 1)).await.expect("append");
    let logged = read_all(s, &lease).await;
    let batch = Batch {
        position: logged[0].position.clone(),
        calls: vec![pending_call(&ana, "r1", 3), pending_call(&ben, "r2", 4)],
        at: TEN,
        ..Batch::default()
    };
    s.commit(&lease, batch).await.expect("commit");
    assert!(s.calls(0, 100).await.expect("calls").is_empty());

    // Read twice (a process that crashed, then the next): the same calls, in order.
    let first = s.calls(2, 100).await.expect("calls");
    let again = s.calls(2, 100).await.expect("calls");
    let keys = |calls: &[spool_runtime::store::Calling]| -> Vec<String> {
        calls
            .iter()
            .map(|calling| calling.call.key.clone())
            .collect()
    };
    assert_eq!(keys(&first), keys(&again));
    assert_eq!(first[0].call, pending_call(&ana, "r1", 3));
    assert_eq!(s.calls(2, 1).await.expect("calls").len(), 1);

    // Answered by two processes: the answer goes into the log once, and the call is gone.
    let answer = first[0].call.answered(
        CallAnswer::Failed {
            error: "the CRM is down".into(),
        },
        TEN,
    );
    assert!(s.answer_call(2, &first[0], &answer).await.expect("answer"));
    assert!(!s.answer_call(2, &again[0], &answer).await.expect("answer"));
    let left = s.calls(2, 100).await.expect("calls");
    assert_eq!(keys(&left), [pending_call(&ben, "r2", 4).key]);
    let logged = read_all(s, &lease).await;
    assert_eq!(logged.len(), 1, "one answer in the log: {logged:?}");
    assert_eq!(logged[0].event, answer);
    // The answer is read with its contact's state, like any event.
    let batch = s.read_batch(&lease, 100).await.expect("read batch");
    assert_eq!(batch.states.len(), 1);
    assert_eq!(batch.states[0].0, ana);
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
            counters.insert(Counter::new("v1", "ask", "entered"), 1);
            counters.insert(Counter::new("v1", "ask", "port:yes"), i64::from(partition));
            counters.insert(Counter::new("v2", "ask", "entered"), 10);
            let batch = Batch {
                position: logged[0].position.clone(),
                counters,
                at: TEN,
                ..Batch::default()
            };
            s.commit(&lease, batch).await.expect("commit");
        }
    }
    let v1 = counted(s, "v1").await;
    assert_eq!(v1.len(), 2, "{v1:?}");
    assert_eq!(v1.get(&CountKey::new("ask", "entered")), Some(&8));
    assert_eq!(v1.get(&CountKey::new("ask", "port:yes")), Some(&12));
    let v2 = counted(s, "v2").await;
    assert_eq!(v2.get(&CountKey::new("ask", "entered")), Some(&80));
    assert!(counted(s, "v3").await.is_empty());
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

/// What the worker applies: the events after the cursor, and the state of each contact they
/// concern (timer events included), once, in the order of its first event.
async fn read_batch_brings_each_contacts_state_once_with_its_events(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let (ana, ben, carl) = (
        contact_in(s, 0, 0),
        contact_in(s, 0, 1),
        contact_in(s, 0, 2),
    );
    let lease = acquire(s, 0).await;
    s.append(&event(&ana, 0)).await.expect("append");
    let first = read_all(s, &lease).await;
    let batch = Batch {
        position: first[0].position.clone(),
        states: vec![state(&ana, "Ana"), state(&carl, "Carl")],
        timers_set: vec![(timer(&carl, "run.1", 1), 1_000)],
        ..Batch::default()
    };
    s.commit(&lease, batch).await.expect("commit");
    // With and without a de-duplication key: the store may append them differently.
    s.append(&event(&ana, 1)).await.expect("append");
    s.append(&event(&ben, 2).with_dedupe_key("ben-2"))
        .await
        .expect("append");
    s.append(&event(&ana, 3).with_dedupe_key("ana-3"))
        .await
        .expect("append");
    assert_eq!(s.fire_due_timers(&lease, 2_000, 10).await.expect("fire"), 1);

    let read = s.read_batch(&lease, 100).await.expect("read batch");
    let contacts: Vec<&str> = read
        .logged
        .iter()
        .map(|logged| logged.event.contact_id.as_str())
        .collect();
    assert_eq!(contacts, [&ana, &ben, &ana, &carl]);
    assert!(matches!(
        read.logged[3].event.kind,
        EventKind::Timer { token: 1, .. }
    ));
    let ids: Vec<&str> = read.states.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, [&ana, &ben, &carl]);
    let states: Vec<Option<ContactState>> =
        read.states.into_iter().map(|(_, state)| state).collect();
    assert_eq!(
        names(&states),
        [Some("Ana".to_owned()), None, Some("Carl".to_owned())]
    );

    let first_only = s.read_batch(&lease, 1).await.expect("read batch");
    assert_eq!(ns(&first_only.logged), [1]);
    assert_eq!(first_only.states.len(), 1);
    assert_eq!(first_only.states[0].0, ana);
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

async fn counters_are_kept_by_the_hour(store: Arc<dyn Store>) {
    let s = store.as_ref();
    // Counts at 10:00, 10:59, 11:30 and 13:00, over two partitions.
    let moments = [
        (0, TEN),
        (1, TEN + HOUR - 1),
        (0, TEN + HOUR + HOUR / 2),
        (1, TEN + 3 * HOUR),
    ];
    for (n, (partition, at)) in moments.into_iter().enumerate() {
        let contact = contact_in(s, partition, 0);
        s.append(&event(&contact, n as u64)).await.expect("append");
        let lease = acquire(s, partition).await;
        let logged = read_all(s, &lease).await;
        let mut counters = HashMap::new();
        counters.insert(Counter::new("v1", "ask", "entered"), 1);
        counters.insert(Counter::new("v1", "ask", &format!("port:p{n}")), 1);
        let batch = Batch {
            position: logged[0].position.clone(),
            counters,
            at,
            ..Batch::default()
        };
        s.commit(&lease, batch).await.expect("commit");
        s.release(&lease).await.expect("release");
    }
    let entered =
        |counts: HashMap<CountKey, i64>| counts.get(&CountKey::new("ask", "entered")).copied();
    let range = |from: Millis, to: Millis| s.counters("v1", from, to);

    assert_eq!(entered(range(TEN, TEN + HOUR).await.expect("10h")), Some(2));
    let eleven = range(TEN + HOUR, TEN + 2 * HOUR).await.expect("11h");
    assert_eq!(eleven.get(&CountKey::new("ask", "port:p2")), Some(&1));
    assert_eq!(eleven.len(), 2, "{eleven:?}");
    // A range is widened to the whole hours it touches.
    assert_eq!(
        entered(
            range(TEN + 30 * 60_000, TEN + HOUR + 1)
                .await
                .expect("part")
        ),
        Some(3)
    );
    assert_eq!(
        entered(range(TEN, TEN + 4 * HOUR).await.expect("all")),
        Some(4)
    );
    assert!(range(TEN - HOUR, TEN).await.expect("before").is_empty());
    assert!(
        range(TEN + 2 * HOUR, TEN + 3 * HOUR)
            .await
            .expect("a quiet hour")
            .is_empty()
    );
    assert!(range(TEN + HOUR, TEN).await.expect("reversed").is_empty());
    assert!(
        s.counters("v2", TEN, TEN + 4 * HOUR)
            .await
            .expect("v2")
            .is_empty()
    );
}

async fn erasing_an_unknown_contact_finds_nothing(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let nobody = contact_in(s, 2, 0);
    let erased = s.erase(&nobody).await.expect("erase");
    assert_eq!(erased, Erased::default());
    assert!(!erased.found());
    // The partition goes on as before.
    s.append(&event(&nobody, 1)).await.expect("append");
    let lease = acquire(s, 2).await;
    assert_eq!(ns(&read_all(s, &lease).await), [1]);
}

/// Ana's state, timers, events still in the log and unsent messages go; Ben, in the same
/// partition, keeps everything, even an event that mentions Ana's id; a worker that loaded
/// Ana before cannot write her back; and nothing in the store holds her number afterwards.
async fn erasing_a_contact_leaves_nothing_of_it_anywhere(
    store: Arc<dyn Store>,
    inspector: Inspector,
) {
    let s = store.as_ref();
    let (ana, ben) = (contact_in(s, 1, 0), contact_in(s, 1, 1));
    let ana_phone = ana.trim_start_matches("wa:").to_owned();
    let keyed = event(&ana, 1).with_dedupe_key(format!("wamid.{ana_phone}.1"));
    s.append(&keyed).await.expect("append");
    s.append(&event(&ben, 2)).await.expect("append");
    let lease = acquire(s, 1).await;
    let logged = read_all(s, &lease).await;
    let mut counters = HashMap::new();
    counters.insert(Counter::new("v1", "ask", "entered"), 2);
    let batch = Batch {
        position: logged[1].position.clone(),
        states: vec![state(&ana, "Ana"), state(&ben, "Ben")],
        outbox: vec![message(&ana, "m1"), message(&ben, "m2")],
        timers_set: vec![
            (timer(&ana, "run.1", 1), 2_000),
            (timer(&ana, "run.2", 2), 9_000),
            (timer(&ben, "run.3", 3), 9_000),
        ],
        timers_cleared: Vec::new(),
        calls: vec![
            pending_call(&ana, "run.1", 7),
            pending_call(&ben, "run.3", 8),
        ],
        counters,
        at: TEN,
    };
    s.commit(&lease, batch).await.expect("commit");
    // Pending in the log: Ana's fired timer, an event of hers, and one of Ben's whose
    // payload names her.
    assert_eq!(s.fire_due_timers(&lease, 3_000, 10).await.expect("fire"), 1);
    s.append(&event(&ana, 3)).await.expect("append");
    let mentions = Event::new(
        ben.clone(),
        "",
        1_000,
        EventKind::Webhook {
            flow_id: "contract".into(),
            trigger: None,
            payload: json!({ "n": 4, "contact_id": ana, "referred_by": ana }),
        },
    );
    s.append(&mentions).await.expect("append");
    // A worker has read them and loaded Ana when the erasure comes.
    let pending = read_all(s, &lease).await;
    assert_eq!(pending.len(), 3);
    let loaded = s.load(1, std::slice::from_ref(&ana)).await.expect("load");
    assert!(loaded[0].is_some());

    let erased = s.erase(&ana).await.expect("erase");
    assert_eq!(
        erased,
        Erased {
            state: true,
            timers: 1,
            events: 2,
            outbox: 1,
            aliases: 0,
            calls: 1,
        }
    );
    assert!(erased.found());

    let stale = Batch {
        position: pending[2].position.clone(),
        states: vec![state(&ana, "Ana again")],
        outbox: vec![message(&ana, "m3")],
        timers_set: vec![(timer(&ana, "run.2", 4), 9_000)],
        at: TEN,
        ..Batch::default()
    };
    match s.commit(&lease, stale).await {
        Err(Error::LeaseLost(1)) => {}
        other => panic!("a batch loaded before the erasure must not commit: {other:?}"),
    }
    assert!(s.contact(&ana).await.expect("contact").is_none());
    assert!(s.timers(&ana).await.expect("timers").is_empty());
    assert_eq!(s.timers(&ben).await.expect("timers").len(), 1);
    let keys: Vec<String> = s
        .outbox(1, 100)
        .await
        .expect("outbox")
        .into_iter()
        .map(|pending| pending.message.key)
        .collect();
    assert_eq!(keys, ["m2"]);
    let calls: Vec<String> = s
        .calls(1, 100)
        .await
        .expect("calls")
        .into_iter()
        .map(|calling| calling.call.contact_id)
        .collect();
    assert_eq!(calls, std::slice::from_ref(&ben));
    assert!(s.contact(&ben).await.expect("contact").is_some());
    assert_eq!(
        counted(s, "v1").await.get(&CountKey::new("ask", "entered")),
        Some(&2)
    );

    // The next holder applies what is left: Ben's event only.
    let next = acquire(s, 1).await;
    let left = read_all(s, &next).await;
    assert_eq!(ns(&left), [4]);
    assert_eq!(left[0].event.contact_id, ben);
    s.append(&event(&ben, 5)).await.expect("append");
    let last = read_all(s, &next).await;
    let batch = Batch {
        position: last[last.len() - 1].position.clone(),
        at: TEN,
        ..Batch::default()
    };
    s.commit(&next, batch).await.expect("commit");
    let pending = s.outbox(1, 100).await.expect("outbox");
    s.mark_sent(1, &pending).await.expect("sent");
    for calling in s.calls(1, 100).await.expect("calls") {
        let answer = calling
            .call
            .answered(CallAnswer::Failed { error: "x".into() }, TEN);
        assert!(s.answer_call(1, &calling, &answer).await.expect("answer"));
    }

    let everything = inspector.everything().await;
    assert!(
        everything.contains("Ben"),
        "the inspector sees the store: {everything}"
    );
    assert!(
        !everything.contains(&ana_phone),
        "Ana's number is still stored: {everything}"
    );
    assert_eq!(s.erase(&ana).await.expect("erase again"), Erased::default());
}

/// Log entries written before the contact id was kept beside each event (field `c`) still get
/// their contact's state: the Redis store loads it separately.
#[tokio::test]
async fn redis_read_batch_loads_states_for_entries_without_a_contact_id() {
    let store = common::redis_store(PARTITIONS).await;
    let s: &dyn Store = store.as_ref();
    let ana = contact_in(s, 0, 0);
    let lease = acquire(s, 0).await;
    s.append(&event(&ana, 0)).await.expect("append");
    let first = read_all(s, &lease).await;
    let batch = Batch {
        position: first[0].position.clone(),
        states: vec![state(&ana, "Ana")],
        ..Batch::default()
    };
    s.commit(&lease, batch).await.expect("commit");
    let client = redis::Client::open(common::redis_url()).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let log = format!("{}:{{p0}}:log", store.config().prefix);
    let body = serde_json::to_string(&event(&ana, 1)).expect("event");
    let _: String = redis::cmd("XADD")
        .arg(&log)
        .arg("*")
        .arg("e")
        .arg(body)
        .query_async(&mut con)
        .await
        .expect("xadd");

    let read = s.read_batch(&lease, 10).await.expect("read batch");
    assert_eq!(ns(&read.logged), [1]);
    assert_eq!(read.states.len(), 1);
    assert_eq!(read.states[0].0, ana);
    assert_eq!(
        read.states[0]
            .1
            .as_ref()
            .and_then(|state| state.contact.name.clone()),
        Some("Ana".to_owned())
    );
    store.wipe().await.expect("wipe");
}

/// On Redis the partition count is fixed once the store has been used (every key of a contact
/// carries its partition): another count is refused when the store is opened, with a message
/// naming the count to use, and the same count still opens.
#[tokio::test]
async fn redis_refuses_another_partition_count() {
    use spool_runtime::store::redis::RedisStore;

    let store = common::redis_store(4).await;
    let config = store.config().clone();
    match RedisStore::connect(config.clone().with_partitions(8)).await {
        Err(
            err @ Error::PartitionsChanged {
                stored: 4,
                configured: 8,
            },
        ) => {
            assert!(err.to_string().contains("--partitions 4"), "{err}");
        }
        other => panic!("another count must be refused: {other:?}"),
    }
    RedisStore::connect(config)
        .await
        .expect("the same count opens");
    store.wipe().await.expect("wipe");
}

const BSUID: &str = "US.13491208655302741918";
const NUMBER: &str = "4915112345678";

fn both() -> ContactIdentity {
    ContactIdentity::Both {
        phone: Phone::parse(NUMBER).expect("a number"),
        bsuid: Bsuid::parse(BSUID).expect("a BSUID"),
    }
}

fn by_bsuid() -> ContactIdentity {
    ContactIdentity::from(Bsuid::parse(BSUID).expect("a BSUID"))
}

fn by_number(number: &str) -> ContactIdentity {
    ContactIdentity::from(Phone::parse(number).expect("a number"))
}

async fn an_identifier_is_linked_once_and_the_first_link_wins(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let keys = [
        "acme/wa:US.1".to_owned(),
        "acme/wa:4915100000001".to_owned(),
    ];
    assert_eq!(s.aliases(&keys).await.expect("aliases"), [None, None]);
    let first = s.link_alias(&keys[0], "acme/wa:A").await.expect("link");
    assert_eq!(first, "acme/wa:A");
    let second = s.link_alias(&keys[0], "acme/wa:B").await.expect("link");
    assert_eq!(second, "acme/wa:A", "a link is never moved");
    assert_eq!(
        s.aliases(&keys).await.expect("aliases"),
        [Some("acme/wa:A".to_owned()), None]
    );
    assert_eq!(
        s.aliases(&[]).await.expect("no keys"),
        Vec::<Option<String>>::new()
    );
}

async fn a_contact_keeps_its_id_when_its_second_identifier_becomes_known(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let first = s
        .resolve_contact("acme", &by_bsuid())
        .await
        .expect("resolve");
    assert_eq!(first, format!("acme/wa:{BSUID}"));
    assert_eq!(
        s.resolve_contact("acme", &both()).await.expect("resolve"),
        first
    );
    assert_eq!(
        s.resolve_contact("acme", &by_number(NUMBER))
            .await
            .expect("resolve"),
        first
    );
    assert_eq!(
        s.find_contact("acme", &by_number(NUMBER))
            .await
            .expect("find"),
        first
    );
    // The other workspace has never met them.
    assert_eq!(
        s.find_contact("globex", &both()).await.expect("find"),
        format!("globex/wa:{NUMBER}")
    );

    // A contact met by number keeps its number's id when its BSUID arrives, and its number
    // needs no link (contacts met by number before BSUIDs have none).
    let by_phone = s
        .resolve_contact("globex", &by_number(NUMBER))
        .await
        .expect("resolve");
    assert_eq!(by_phone, format!("globex/wa:{NUMBER}"));
    let number_key = [format!("globex/wa:{NUMBER}")];
    assert_eq!(s.aliases(&number_key).await.expect("aliases"), [None]);
    assert_eq!(
        s.resolve_contact("globex", &both()).await.expect("resolve"),
        by_phone
    );
    assert_eq!(
        s.resolve_contact("globex", &by_bsuid())
            .await
            .expect("resolve"),
        by_phone
    );
}

async fn first_messages_racing_agree_on_one_contact(store: Arc<dyn Store>) {
    let (only_bsuid, both) = (by_bsuid(), both());
    for round in 0..10 {
        let scope = format!("race{round}");
        let (a, b, c) = tokio::join!(
            store.resolve_contact(&scope, &only_bsuid),
            store.resolve_contact(&scope, &both),
            store.resolve_contact(&scope, &only_bsuid),
        );
        let (a, b, c) = (a.expect("a"), b.expect("b"), c.expect("c"));
        assert_eq!((&a, &b), (&c, &c), "round {round}");
        let later = store
            .resolve_contact(&scope, &by_number(NUMBER))
            .await
            .expect("later");
        assert_eq!(later, a, "round {round}");
    }
}

async fn erasing_a_contact_removes_the_identifiers_linked_to_it(
    store: Arc<dyn Store>,
    inspector: Inspector,
) {
    let s = store.as_ref();
    let id = s
        .resolve_contact("acme", &by_bsuid())
        .await
        .expect("resolve");
    assert_eq!(
        s.resolve_contact("acme", &both()).await.expect("resolve"),
        id
    );
    let other = s
        .resolve_contact("acme", &by_number("4915100000002"))
        .await
        .expect("resolve");
    let other_with_bsuid = ContactIdentity::Both {
        phone: Phone::parse("4915100000002").expect("a number"),
        bsuid: Bsuid::parse("US.2").expect("a BSUID"),
    };
    assert_eq!(
        s.resolve_contact("acme", &other_with_bsuid)
            .await
            .expect("resolve"),
        other
    );
    s.append(&event(&id, 1)).await.expect("append");

    let erased = s.erase(&id).await.expect("erase");
    assert_eq!((erased.aliases, erased.events), (2, 1));
    let everything = inspector.everything().await;
    assert!(
        !everything.contains(NUMBER),
        "the number is still stored: {everything}"
    );
    assert!(
        !everything.contains(BSUID),
        "the BSUID is still stored: {everything}"
    );
    assert!(
        everything.contains("US.2"),
        "another contact's link is kept: {everything}"
    );
    // Met again, they are a new contact, by whichever identifier comes first.
    assert_eq!(
        s.resolve_contact("acme", &by_number(NUMBER))
            .await
            .expect("resolve"),
        format!("acme/wa:{NUMBER}")
    );
    assert_eq!(s.erase(&id).await.expect("erase again"), Erased::default());
}
