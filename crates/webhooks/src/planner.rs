//! The refresh planner: pure logic that turns persisted events into the
//! next [`RefreshBatch`], debounced per entity.
//!
//! Events are signals, so only the last one per entity matters: events are
//! ordered by their `timestamp` (Notion does not deliver in order), and the
//! last decides between reading the entity again and deleting it. An
//! entity's events become due once it has been quiet for
//! [`PlannerConfig::quiet`] (no event newer than that), or once its oldest
//! pending event has waited [`PlannerConfig::max_wait`], so an entity edited
//! without pause is still refreshed. An event counts as happened when its
//! `timestamp` says, or when it was received if that is earlier (a Notion
//! clock ahead of ours cannot hold an entity back).
//!
//! | events | refresh |
//! |---|---|
//! | `page.created`, `content_updated`, `properties_updated`, `moved`, `undeleted` | read the page again |
//! | `page.deleted` (moved to the trash) | delete the page |
//! | `data_source.content_updated`, `schema_updated`, `created`, `undeleted`, `moved` | query the data source for rows edited since it was last read |
//! | `data_source.deleted` | delete the data source's rows |
//! | `database.*` but `deleted` (about a database, not a linked view's block) | read the database (its data sources) again |
//! | `database.deleted` | delete the rows of its data sources |
//! | `page.locked`/`unlocked`, `comment.*`, `view.*`, `file_upload.*`, unknown types, linked-view database events | none: ignored and counted |
//!
//! The plan depends only on the set of distinct events (by id) and `now`:
//! any order or duplication of the same events gives the same plan.
//! Entities are keyed by kind and id as the events carry them (Notion sends
//! ids lowercase with dashes).
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use webhooks::{PendingEvent, PlannerConfig, RefreshPlanner};
//!
//! let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
//! let event = |id: &str, kind: &str, page: &str, at| PendingEvent {
//!     event: serde_json::from_value(serde_json::json!({
//!         "id": id, "timestamp": at, "type": kind,
//!         "entity": {"id": page, "type": "page"}})).unwrap(),
//!     received_at: at + Duration::seconds(2),
//! };
//! let events = [
//!     event("e1", "page.content_updated", "p1", t0),
//!     event("e2", "page.content_updated", "p1", t0 + Duration::seconds(10)),
//! ];
//! let planner = RefreshPlanner::new(PlannerConfig::default()); // quiet: 30 s
//!
//! let early = planner.plan(&events, t0 + Duration::seconds(35));
//! assert!(early.batch.is_empty());
//! assert_eq!(early.next_due, Some(t0 + Duration::seconds(40)));
//!
//! let due = planner.plan(&events, t0 + Duration::seconds(40));
//! assert_eq!(due.batch.pages_to_read.len(), 1); // two events, one read
//! assert_eq!(due.batch.events.len(), 2);
//! assert_eq!(due.next_due, None);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::event::{EntityType, Event, EventType};

/// A persisted event with the time the receiver accepted it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent {
    /// The event.
    pub event: Event,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

impl PendingEvent {
    /// When the event counts as happened: its timestamp, unless it was
    /// received earlier than that.
    pub fn happened_at(&self) -> DateTime<Utc> {
        self.event.timestamp.min(self.received_at)
    }
}

/// How the planner debounces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannerConfig {
    /// How long an entity must go without a new event before it is
    /// refreshed (default 30 s).
    pub quiet: Duration,
    /// How long an entity's oldest pending event may wait, however often it
    /// is edited (default 5 minutes).
    pub max_wait: Duration,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            quiet: Duration::from_secs(30),
            max_wait: Duration::from_secs(300),
        }
    }
}

/// What one refresh must do. Ids are as the events carry them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshBatch {
    /// Pages to read again (created, edited, moved, restored).
    pub pages_to_read: BTreeSet<String>,
    /// Pages moved to the trash: delete them (and what the store holds under them).
    pub pages_to_delete: BTreeSet<String>,
    /// Data sources to query for rows edited since they were last read.
    pub data_sources_to_query: BTreeSet<String>,
    /// Data sources moved to the trash: delete their rows.
    pub data_sources_deleted: BTreeSet<String>,
    /// Databases to read again, to learn and query their data sources.
    pub databases_to_read: BTreeSet<String>,
    /// Databases moved to the trash: delete the rows of their data sources.
    pub databases_deleted: BTreeSet<String>,
    /// Events that need no refresh, counted by type.
    pub ignored: BTreeMap<EventType, u64>,
    /// The ids of every event this batch settles (refreshed or ignored):
    /// the caller marks them done once the batch is published.
    pub events: BTreeSet<String>,
}

impl RefreshBatch {
    /// Whether the batch asks for no refresh at all (it may still settle
    /// ignored events).
    pub fn is_empty(&self) -> bool {
        self.pages_to_read.is_empty()
            && self.pages_to_delete.is_empty()
            && self.data_sources_to_query.is_empty()
            && self.data_sources_deleted.is_empty()
            && self.databases_to_read.is_empty()
            && self.databases_deleted.is_empty()
    }

    /// How many events were ignored.
    pub fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }
}

/// The planner's answer for one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// What is due now.
    pub batch: RefreshBatch,
    /// When the next pending entity becomes due (`None`: nothing left waiting).
    pub next_due: Option<DateTime<Utc>>,
}

/// Plans refreshes from persisted events.
#[derive(Debug, Clone, Default)]
pub struct RefreshPlanner {
    config: PlannerConfig,
}

/// What an entity's events lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Page,
    DataSource,
    Database,
}

/// An event's role in planning.
enum Role {
    /// It concerns an entity to refresh; `removes` when it says the entity
    /// went to the trash.
    Refresh { target: Target, removes: bool },
    /// It needs no refresh.
    Ignored,
}

fn role(event: &Event) -> Role {
    use EventType::*;
    let refresh = |target, removes| Role::Refresh { target, removes };
    match &event.kind {
        PageCreated | PageContentUpdated | PagePropertiesUpdated | PageMoved | PageUndeleted => {
            refresh(Target::Page, false)
        }
        PageDeleted => refresh(Target::Page, true),
        DataSourceCreated
        | DataSourceContentUpdated
        | DataSourceSchemaUpdated
        | DataSourceMoved
        | DataSourceUndeleted => refresh(Target::DataSource, false),
        DataSourceDeleted => refresh(Target::DataSource, true),
        // A linked database's events name its block: the data lives elsewhere.
        DatabaseCreated
        | DatabaseContentUpdated
        | DatabaseSchemaUpdated
        | DatabaseMoved
        | DatabaseUndeleted
            if event.entity.kind != EntityType::Block =>
        {
            refresh(Target::Database, false)
        }
        DatabaseDeleted if event.entity.kind != EntityType::Block => {
            refresh(Target::Database, true)
        }
        _ => Role::Ignored,
    }
}

/// One entity's pending events, reduced to what planning needs.
struct Pending<'a> {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    /// The deciding event: the latest by (timestamp, reads before removes, id).
    decider: (DateTime<Utc>, bool, &'a str),
    ids: Vec<&'a str>,
}

impl RefreshPlanner {
    /// A planner with these settings.
    pub fn new(config: PlannerConfig) -> RefreshPlanner {
        RefreshPlanner { config }
    }

    /// Its settings.
    pub fn config(&self) -> &PlannerConfig {
        &self.config
    }

    /// What is due at `now` among `events` (the persisted, not yet settled
    /// ones, in any order, duplicates allowed).
    pub fn plan<'a>(
        &self,
        events: impl IntoIterator<Item = &'a PendingEvent>,
        now: DateTime<Utc>,
    ) -> Plan {
        let quiet = chrono::Duration::from_std(self.config.quiet).unwrap_or(chrono::Duration::MAX);
        let max_wait =
            chrono::Duration::from_std(self.config.max_wait).unwrap_or(chrono::Duration::MAX);
        let mut plan = Plan::default();
        let mut entities: BTreeMap<(Target, &str), Pending<'a>> = BTreeMap::new();
        for pending in distinct(events) {
            let event = &pending.event;
            let Role::Refresh { target, removes } = role(event) else {
                *plan.batch.ignored.entry(event.kind.clone()).or_default() += 1;
                plan.batch.events.insert(event.id.clone());
                continue;
            };
            let at = pending.happened_at();
            let decider = (at, removes, event.id.as_str());
            entities
                .entry((target, event.entity.id.as_str()))
                .and_modify(|p| {
                    p.first = p.first.min(at);
                    p.last = p.last.max(at);
                    p.decider = p.decider.max(decider);
                    p.ids.push(&event.id);
                })
                .or_insert(Pending {
                    first: at,
                    last: at,
                    decider,
                    ids: vec![&event.id],
                });
        }
        for ((target, id), pending) in entities {
            let due_at = (pending.last.checked_add_signed(quiet))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
                .min(
                    pending
                        .first
                        .checked_add_signed(max_wait)
                        .unwrap_or(DateTime::<Utc>::MAX_UTC),
                );
            if due_at > now {
                plan.next_due = Some(plan.next_due.map_or(due_at, |d| d.min(due_at)));
                continue;
            }
            let batch = &mut plan.batch;
            let removes = pending.decider.1;
            let set = match (target, removes) {
                (Target::Page, false) => &mut batch.pages_to_read,
                (Target::Page, true) => &mut batch.pages_to_delete,
                (Target::DataSource, false) => &mut batch.data_sources_to_query,
                (Target::DataSource, true) => &mut batch.data_sources_deleted,
                (Target::Database, false) => &mut batch.databases_to_read,
                (Target::Database, true) => &mut batch.databases_deleted,
            };
            set.insert(id.to_string());
            batch
                .events
                .extend(pending.ids.iter().map(|id| id.to_string()));
        }
        plan
    }
}

/// One event per id: Notion's retries and our duplicates share the id. When
/// copies differ (in `attempt_number` or reception time), the earliest by
/// (happened, type, entity) stands for them, whatever the input order.
fn distinct<'a>(
    events: impl IntoIterator<Item = &'a PendingEvent>,
) -> impl Iterator<Item = &'a PendingEvent> {
    let mut by_id: BTreeMap<&'a str, &'a PendingEvent> = BTreeMap::new();
    let key = |p: &PendingEvent| {
        (
            p.happened_at(),
            p.event.kind.as_str().to_string(),
            p.event.entity.id.clone(),
            p.event.entity.kind.clone(),
        )
    };
    for event in events {
        by_id
            .entry(&event.event.id)
            .and_modify(|kept| {
                if key(event) < key(kept) {
                    *kept = event;
                }
            })
            .or_insert(event);
    }
    by_id.into_values()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
    }

    /// An event that happened `secs` after t0, received a second later.
    fn event(id: &str, kind: &str, entity: (&str, &str), secs: i64) -> PendingEvent {
        PendingEvent {
            event: serde_json::from_value(serde_json::json!({
                "id": id,
                "timestamp": at(secs),
                "type": kind,
                "entity": {"id": entity.0, "type": entity.1},
            }))
            .unwrap(),
            received_at: at(secs + 1),
        }
    }

    fn planner() -> RefreshPlanner {
        RefreshPlanner::new(PlannerConfig::default())
    }

    fn at(secs: i64) -> DateTime<Utc> {
        t0() + chrono::Duration::seconds(secs)
    }

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_event_family_maps_to_its_refresh() {
        let events = [
            event("1", "page.created", ("p1", "page"), 0),
            event("2", "page.properties_updated", ("p2", "page"), 0),
            event("3", "page.moved", ("p3", "page"), 0),
            event("4", "page.undeleted", ("p4", "page"), 0),
            event("5", "page.deleted", ("p5", "page"), 0),
            event("6", "data_source.content_updated", ("d1", "data_source"), 0),
            event("7", "data_source.schema_updated", ("d2", "data_source"), 0),
            event("8", "data_source.deleted", ("d3", "data_source"), 0),
            event("9", "database.deleted", ("b1", "database"), 0),
            event("10", "database.created", ("b2", "database"), 0),
            event("11", "database.created", ("linked", "block"), 0),
            event("12", "comment.created", ("c1", "comment"), 0),
            event("13", "page.locked", ("p6", "page"), 0),
            event("14", "view.updated", ("v1", "view"), 0),
            event("15", "file_upload.completed", ("f1", "file_upload"), 0),
            event("16", "page.transcribed", ("p7", "page"), 0),
        ];
        let batch = planner().plan(&events, at(30)).batch;
        assert_eq!(batch.pages_to_read, set(&["p1", "p2", "p3", "p4"]));
        assert_eq!(batch.pages_to_delete, set(&["p5"]));
        assert_eq!(batch.data_sources_to_query, set(&["d1", "d2"]));
        assert_eq!(batch.data_sources_deleted, set(&["d3"]));
        assert_eq!(batch.databases_deleted, set(&["b1"]));
        assert_eq!(batch.databases_to_read, set(&["b2"]));
        assert_eq!(batch.ignored_total(), 6);
        assert_eq!(batch.ignored[&EventType::CommentCreated], 1);
        assert_eq!(
            batch.ignored[&EventType::Unknown("page.transcribed".into())],
            1
        );
        assert_eq!(batch.events.len(), events.len());
    }

    #[test]
    fn the_latest_event_by_timestamp_decides_not_the_arrival() {
        // Trashed at 5 s, restored at 8 s, but the restore arrived first.
        let events = [
            event("b", "page.undeleted", ("p", "page"), 8),
            event("a", "page.deleted", ("p", "page"), 5),
        ];
        let batch = planner().plan(&events, at(60)).batch;
        assert_eq!(batch.pages_to_read, set(&["p"]));
        assert!(batch.pages_to_delete.is_empty());

        let events = [
            event("a", "page.content_updated", ("p", "page"), 5),
            event("b", "page.deleted", ("p", "page"), 8),
        ];
        let batch = planner().plan(&events, at(60)).batch;
        assert_eq!(batch.pages_to_delete, set(&["p"]));
        assert!(batch.pages_to_read.is_empty());
    }

    #[test]
    fn an_entity_waits_for_its_quiet_period_and_no_longer_than_max_wait() {
        let planner = RefreshPlanner::new(PlannerConfig {
            quiet: Duration::from_secs(30),
            max_wait: Duration::from_secs(100),
        });
        // Edited every 20 s: never quiet for 30 s.
        let events: Vec<PendingEvent> = (0..8)
            .map(|i| {
                event(
                    &format!("e{i}"),
                    "page.content_updated",
                    ("p", "page"),
                    i * 20,
                )
            })
            .collect();
        let waiting = planner.plan(&events[..3], at(45));
        assert!(waiting.batch.is_empty() && waiting.batch.events.is_empty());
        assert_eq!(waiting.next_due, Some(at(70)));
        // The oldest event has waited 100 s: due although edits go on.
        let forced = planner.plan(&events[..6], at(100));
        assert_eq!(forced.batch.pages_to_read, set(&["p"]));
        assert_eq!(forced.batch.events.len(), 6);
    }

    #[test]
    fn entities_are_due_independently_and_ignored_events_at_once() {
        let events = [
            event("1", "page.content_updated", ("old", "page"), 0),
            event("2", "page.content_updated", ("new", "page"), 25),
            event("3", "comment.created", ("c", "comment"), 25),
        ];
        let plan = planner().plan(&events, at(31));
        assert_eq!(plan.batch.pages_to_read, set(&["old"]));
        assert_eq!(plan.batch.events, set(&["1", "3"]));
        assert_eq!(plan.next_due, Some(at(55)));
    }

    #[test]
    fn a_timestamp_from_a_clock_ahead_counts_from_reception() {
        let mut ahead = event("1", "page.created", ("p", "page"), 3_600);
        ahead.received_at = at(0);
        let plan = planner().plan([&ahead], at(0));
        assert_eq!(plan.next_due, Some(at(30)));
        assert_eq!(
            planner().plan([&ahead], at(30)).batch.pages_to_read,
            set(&["p"])
        );
    }

    const KINDS: [(&str, &str); 8] = [
        ("page.created", "page"),
        ("page.content_updated", "page"),
        ("page.deleted", "page"),
        ("page.undeleted", "page"),
        ("data_source.content_updated", "data_source"),
        ("data_source.deleted", "data_source"),
        ("comment.created", "comment"),
        ("database.deleted", "database"),
    ];

    fn arb_events() -> impl Strategy<Value = Vec<PendingEvent>> {
        prop::collection::vec((0..KINDS.len(), 0..4usize, 0..90i64), 0..24).prop_map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, (k, entity, secs))| {
                    let (kind, entity_type) = KINDS[k];
                    let id = format!("{entity_type}-{entity}");
                    event(&format!("e{i}"), kind, (&id, entity_type), secs)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn any_order_or_duplication_gives_the_same_plan(
            events in arb_events(),
            seed in any::<u64>(),
            now in 0..150i64,
        ) {
            let expected = planner().plan(&events, at(now));
            // Duplicate some events (as Notion's retries would, with another
            // attempt number), then shuffle with a seeded LCG.
            let mut noisy = events.clone();
            let mut state = seed | 1;
            let mut next = || {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 33) as usize
            };
            for e in &events {
                if next() % 2 == 0 {
                    // A retry: another attempt number, received later.
                    let mut copy = e.clone();
                    copy.event.attempt_number = 2 + (next() % 7) as u32;
                    copy.received_at += chrono::Duration::seconds((next() % 100) as i64);
                    noisy.push(copy);
                }
            }
            for i in (1..noisy.len()).rev() {
                noisy.swap(i, next() % (i + 1));
            }
            prop_assert_eq!(planner().plan(&noisy, at(now)), expected);
        }

        #[test]
        fn every_event_is_settled_or_left_waiting(events in arb_events(), now in 0..150i64) {
            let plan = planner().plan(&events, at(now));
            let batch = &plan.batch;
            prop_assert!(batch.pages_to_read.is_disjoint(&batch.pages_to_delete));
            prop_assert!(batch.data_sources_to_query.is_disjoint(&batch.data_sources_deleted));
            let waiting: Vec<&Event> = events
                .iter()
                .map(|p| &p.event)
                .filter(|e| !batch.events.contains(&e.id))
                .collect();
            prop_assert_eq!(plan.next_due.is_some(), !waiting.is_empty());
            for e in waiting {
                // A waiting event's entity is not in the batch.
                prop_assert!(!batch.pages_to_read.contains(&e.entity.id));
                prop_assert!(!batch.pages_to_delete.contains(&e.entity.id));
                prop_assert!(plan.next_due.unwrap() > at(now));
            }
            // Planning later settles everything.
            let later = planner().plan(&events, at(now + 400));
            prop_assert_eq!(later.batch.events.len(), events.len());
            prop_assert_eq!(later.next_due, None);
        }
    }
}
