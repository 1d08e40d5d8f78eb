//! Indexes behind the workstation's request list, so that a keystroke costs work proportional to
//! what changed rather than to the 100,000 requests loaded:
//! - [`Facts`]: per request, the few fields queues and sort orders look at, precomputed (the
//!   soonest due instant is found once, not on every comparison);
//! - one permutation of all requests per [`SortKey`], kept sorted as requests change, so a queue's
//!   list is the permutation filtered by membership, with no sort per keystroke;
//! - requests by id and by citizen (the detail pane's "other open requests");
//! - a stack of filter results, one level per typed character: typing extends the top level,
//!   backspace pops it.
//!
//! The filter matches the lower-cased query as a subsequence of a request's lower-cased haystack,
//! which is exactly when `SkimMatcherV2::ignore_case` finds a match (its score is not used: the
//! list stays in the chosen sort order). The greedy leftmost match of a query is a prefix of the
//! greedy match of any longer query, so each level only resumes the search of the level below
//! where it stopped.

use std::collections::HashMap;

use crate::api::RequestSummary;
use crate::domain::request::{Priority, RequestId, Status, Topic};

use super::filter::{EXACT_MARK, extend_match};
use super::state::{NEVER, Operator, SlaMarks, SortKey};

/// What queue membership and sorting need to know about a request. Copied into each of the
/// three sort orders (sequential scans), so kept to 64 bytes: instants are plain seconds or
/// microseconds, with [`NEVER`] for "none" rather than 16-byte `Option`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub status: Status,
    pub topic: Topic,
    /// Assigned to the logged-in operator.
    pub mine: bool,
    /// Unassigned and in the operator's office.
    pub unassigned_here: bool,
    /// Business seconds left on the leading clock (the figure of the SLA cell): the SLA order
    /// lists what the column shows, least time left first. [`NEVER`] without a running clock.
    pub due: i64,
    /// When the request reaches each SLA threshold (the list's colour and symbol).
    pub marks: SlaMarks,
    pub urgent: bool,
    /// Filing instant in UTC microseconds (the stores keep microseconds).
    pub created: i64,
    pub updated: i64,
    /// Start of the booked appointment, in UTC seconds; [`NEVER`] without one.
    pub appointment: i64,
}

const _: () = assert!(std::mem::size_of::<Facts>() <= 64);

impl Facts {
    pub fn of(r: &RequestSummary, me: &Operator) -> Self {
        Facts {
            status: r.status,
            topic: r.topic,
            mine: r.assignee.as_deref() == Some(me.username.as_str()),
            unassigned_here: r.assignee.is_none() && r.office == me.office,
            due: crate::tui::state::leading_clock(r).map_or(NEVER, |c| c.remaining_secs),
            marks: SlaMarks::of(r),
            urgent: r.priority == Priority::Urgente,
            created: r.created_at.as_microsecond(),
            updated: r.updated_at.as_second(),
            appointment: r.appointment.map_or(NEVER, |a| a.as_second()),
        }
    }

    /// Position in the list sorted by `sort`; the index breaks ties, as a stable sort would.
    fn sort_key(&self, sort: SortKey, index: u32) -> (i64, i64, u32) {
        let major = match sort {
            // No running clock (NEVER) sorts last.
            SortKey::Sla => self.due,
            SortKey::Age => 0,
            SortKey::Priority => i64::from(!self.urgent),
        };
        (major, self.created, index)
    }
}

/// Separates the terms of a [`ListIndex::matching`] query.
pub const TERM_BREAK: char = ' ';

/// What the last character of a level's query `key` asks of a row that matched the level below.
#[derive(Debug, Clone, Copy)]
enum Step<'k> {
    /// A [`TERM_BREAK`]: the next term is looked for from the beginning again (terms match in
    /// any order); or a lone [`EXACT_MARK`], which asks nothing yet.
    Restart,
    /// In a fuzzy term: the character after the previous one (the greedy subsequence match,
    /// resumable).
    Fuzzy(char),
    /// In an exact term: the text so far, anywhere (a row holding `pensi` holds `pens`, so the
    /// rows of the level below are the only candidates).
    Exact(&'k str),
}

impl<'k> Step<'k> {
    fn of(key: &'k str) -> Option<Self> {
        let c = key.chars().next_back()?;
        if c == TERM_BREAK {
            return Some(Step::Restart);
        }
        let term = &key[key.rfind(TERM_BREAK).map_or(0, |i| i + 1)..];
        Some(match term.strip_prefix(EXACT_MARK) {
            Some("") => Step::Restart,
            Some(exact) => Step::Exact(exact),
            None => Step::Fuzzy(c),
        })
    }

    /// Whether `haystack`, whose match of the current term ended at byte `end` one level
    /// below, still matches; where this level's match ends.
    #[inline]
    fn apply(self, haystack: &str, end: usize) -> Option<usize> {
        match self {
            Step::Restart => Some(0),
            Step::Exact(text) => haystack.contains(text).then_some(0),
            Step::Fuzzy(c) => {
                let mut buffer = [0u8; 4];
                extend_match(haystack, end, c.encode_utf8(&mut buffer))
            }
        }
    }
}

const SORTS: [SortKey; 3] = [SortKey::Sla, SortKey::Age, SortKey::Priority];

fn sort_slot(sort: SortKey) -> usize {
    match sort {
        SortKey::Sla => 0,
        SortKey::Age => 1,
        SortKey::Priority => 2,
    }
}

/// A request in a sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub index: u32,
    pub facts: Facts,
}

/// A request matching a filter level, and the byte just after its greedy match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hit {
    index: u32,
    end: u32,
}

/// The matches of one query, in ascending request index.
#[derive(Debug, Clone, Default)]
struct Level {
    query: String,
    hits: Vec<Hit>,
}

/// Inserts request `slot` into `order` (sorted by `sort`) where its facts put it.
fn insert_sorted(order: &mut Vec<Entry>, sort: SortKey, slot: u32, facts: &Facts) {
    let key = facts.sort_key(sort, slot);
    let at = order.partition_point(|e| e.facts.sort_key(sort, e.index) < key);
    order.insert(
        at,
        Entry {
            index: slot,
            facts: *facts,
        },
    );
}

/// A request id as one number: year and progressive number, distinct for distinct ids (an id
/// is validated as `CBP-YYYY-NNNNNNN` when made).
fn id_key(id: &RequestId) -> u64 {
    (u64::from(id.year() as u16) << 32) | u64::from(id.number())
}

/// Lower-cased "id cf name patronato office topic subject": what the filter searches. The
/// codice fiscale is the masked form the list carries; a full one typed in the filter is masked
/// the same way before it is looked for (see `tui::filter`).
pub fn haystack(r: &RequestSummary) -> String {
    format!(
        "{} {} {} {} {} {} {}",
        r.id.as_str(),
        r.citizen,
        r.citizen_name.as_deref().unwrap_or(""),
        r.patronato,
        r.office,
        crate::i18n::t(crate::i18n::Lang::It, &format!("topic.{}", r.topic.code())),
        r.subject
    )
    .to_lowercase()
}

#[derive(Debug, Clone, Default)]
pub struct ListIndex {
    /// The operator `Facts::mine` and `Facts::unassigned_here` refer to.
    me: Operator,
    facts: Vec<Facts>,
    /// Exact-size text per request (a `String` would keep its growth slack and capacity).
    haystacks: Vec<Box<str>>,
    /// For each sort key, every request in that order, with its facts inline so a queue's list
    /// is one sequential scan rather than 100,000 scattered lookups.
    orders: [Vec<Entry>; 3],
    /// Position of each request by [`id_key`]: 16 bytes an entry rather than a cloned id.
    by_id: HashMap<u64, usize>,
    by_citizen: HashMap<String, Vec<u32>>,
    /// Level 0 is the empty query (everything); each further level adds one character.
    levels: Vec<Level>,
}

impl ListIndex {
    pub fn build(requests: &[RequestSummary], me: &Operator) -> Self {
        let facts: Vec<Facts> = requests.iter().map(|r| Facts::of(r, me)).collect();
        let orders = SORTS.map(|sort| {
            let mut order: Vec<Entry> = facts
                .iter()
                .enumerate()
                .map(|(i, f)| Entry {
                    index: i as u32,
                    facts: *f,
                })
                .collect();
            order.sort_unstable_by_key(|e| e.facts.sort_key(sort, e.index));
            order
        });
        let mut by_citizen: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, r) in requests.iter().enumerate() {
            by_citizen
                .entry(r.citizen.clone())
                .or_default()
                .push(i as u32);
        }
        ListIndex {
            me: me.clone(),
            haystacks: requests
                .iter()
                .map(|r| haystack(r).into_boxed_str())
                .collect(),
            by_id: requests
                .iter()
                .enumerate()
                .map(|(i, r)| (id_key(&r.id), i))
                .collect(),
            by_citizen,
            orders,
            facts,
            levels: Vec::new(),
        }
    }

    /// Whether the index describes `count` requests seen by `me`.
    pub fn fits(&self, count: usize, me: &Operator) -> bool {
        self.facts.len() == count && self.me == *me
    }

    pub fn len(&self) -> usize {
        self.facts.len()
    }

    pub fn facts(&self, index: usize) -> Option<&Facts> {
        self.facts.get(index)
    }

    /// The filter haystack of request `index` (empty past the end).
    pub fn haystack_at(&self, index: usize) -> &str {
        self.haystacks.get(index).map_or("", |text| text)
    }

    pub fn position(&self, id: &RequestId) -> Option<usize> {
        self.by_id.get(&id_key(id)).copied()
    }

    /// Indices of the requests of `citizen`, ascending.
    pub fn of_citizen(&self, citizen: &str) -> &[u32] {
        self.by_citizen.get(citizen).map_or(&[], Vec::as_slice)
    }

    /// Every request index in `sort` order.
    pub fn order(&self, sort: SortKey) -> &[Entry] {
        &self.orders[sort_slot(sort)]
    }

    /// Records that request `index` is now `new` (`old` is what it was, `None` when `index` is
    /// a new last request). Costs a few memory moves, no full rebuild.
    pub fn update(
        &mut self,
        index: usize,
        old: Option<&RequestSummary>,
        new: &RequestSummary,
        me: &Operator,
    ) {
        let slot = index as u32;
        let facts = Facts::of(new, me);
        let text = haystack(new).into_boxed_str();
        if let Some(old) = old {
            let before = self.facts[index];
            self.move_entry(slot, &before, &facts);
            if old.citizen != new.citizen {
                if let Some(list) = self.by_citizen.get_mut(&old.citizen) {
                    list.retain(|&i| i != slot);
                }
                let list = self.by_citizen.entry(new.citizen.clone()).or_default();
                let at = list.partition_point(|&i| i < slot);
                list.insert(at, slot);
            }
            self.facts[index] = facts;
            self.haystacks[index] = text;
            for level in self.levels.iter_mut().skip(1) {
                if let Ok(at) = level.hits.binary_search_by_key(&slot, |h| h.index) {
                    level.hits.remove(at);
                }
            }
        } else {
            self.place(slot, &facts);
            self.by_citizen
                .entry(new.citizen.clone())
                .or_default()
                .push(slot);
            self.by_id.insert(id_key(&new.id), index);
            self.facts.push(facts);
            self.haystacks.push(text);
            if let Some(all) = self.levels.first_mut() {
                all.hits.push(Hit {
                    index: slot,
                    end: 0,
                });
            }
        }
        // Re-match the changed request at every level, resuming from the level below.
        let mut end = 0usize;
        for level in self.levels.iter_mut().skip(1) {
            let Some(next) =
                Step::of(&level.query).and_then(|step| step.apply(&self.haystacks[index], end))
            else {
                break;
            };
            end = next;
            let at = level.hits.partition_point(|h| h.index < slot);
            level.hits.insert(
                at,
                Hit {
                    index: slot,
                    end: end as u32,
                },
            );
        }
    }

    /// Drops every filter level (they are rebuilt on demand).
    pub fn clear_filter(&mut self) {
        self.levels.clear();
    }

    /// Moves request `slot` in every order from where `before` put it to where `after` puts
    /// it: found by binary search and shifted by a rotation of the entries in between, so a live
    /// update of a national list moves a few entries rather than every entry behind two
    /// positions.
    fn move_entry(&mut self, slot: u32, before: &Facts, after: &Facts) {
        for (order, sort) in self.orders.iter_mut().zip(SORTS) {
            let key = |e: &Entry| e.facts.sort_key(sort, e.index);
            let old_key = before.sort_key(sort, slot);
            let new_key = after.sort_key(sort, slot);
            let found = order.partition_point(|e| key(e) < old_key);
            let from = if order.get(found).is_some_and(|e| e.index == slot) {
                found
            } else {
                // Not where its facts say (never expected): look for it the long way.
                match order.iter().position(|e| e.index == slot) {
                    Some(at) => at,
                    None => {
                        insert_sorted(order, sort, slot, after);
                        continue;
                    }
                }
            };
            order[from].facts = *after;
            // Where the entry goes among the others (itself excluded).
            let to = if new_key < old_key {
                order[..from].partition_point(|e| key(e) < new_key)
            } else {
                from + order[from + 1..].partition_point(|e| key(e) < new_key)
            };
            if to < from {
                order[to..=from].rotate_right(1);
            } else if to > from {
                order[from..=to].rotate_left(1);
            }
        }
    }

    /// Inserts request `slot`, described by `facts`, into every sort order (it must not be
    /// there).
    fn place(&mut self, slot: u32, facts: &Facts) {
        for (order, sort) in self.orders.iter_mut().zip(SORTS) {
            insert_sorted(order, sort, slot, facts);
        }
    }

    /// Marks, by request index, the requests matching every term of `query` (already
    /// lower-cased, terms separated by [`TERM_BREAK`], an exact one led by [`EXACT_MARK`]; see
    /// [`Step`]). Each character is a level filtering the one below, so typing a
    /// character of any term checks only the rows the query so far left, and deleting one
    /// costs nothing.
    pub fn matching(&mut self, query: &str) -> Vec<bool> {
        if self.levels.is_empty() {
            self.levels.push(Level {
                query: String::new(),
                hits: (0..self.facts.len() as u32)
                    .map(|index| Hit { index, end: 0 })
                    .collect(),
            });
        }
        // Backspace and edits: drop levels that are not a prefix of the new query.
        while self.levels.len() > 1
            && !self
                .levels
                .last()
                .is_some_and(|l| query.starts_with(l.query.as_str()))
        {
            self.levels.pop();
        }
        while let Some(top) = self.levels.last() {
            let Some(c) = query[top.query.len()..].chars().next() else {
                break;
            };
            let key = &query[..top.query.len() + c.len_utf8()];
            let Some(step) = Step::of(key) else {
                break;
            };
            let haystacks = &self.haystacks;
            let hits = crate::parallel::filter_map(&top.hits, |h| {
                let end = step.apply(&haystacks[h.index as usize], h.end as usize)?;
                Some(Hit {
                    index: h.index,
                    end: end as u32,
                })
            });
            let next = Level {
                query: key.to_string(),
                hits,
            };
            self.levels.push(next);
        }
        let mut marks = vec![false; self.facts.len()];
        if let Some(top) = self.levels.last() {
            for h in &top.hits {
                marks[h.index as usize] = true;
            }
        }
        marks
    }
}

#[cfg(test)]
mod tests {
    use fuzzy_matcher::FuzzyMatcher;
    use fuzzy_matcher::skim::SkimMatcherV2;
    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::*;
    use crate::i18n::Lang;
    use crate::tui::fixture;
    use crate::tui::state::{Queue, State};
    use jiff::Timestamp;

    fn me() -> Operator {
        Operator {
            username: "op00".into(),
            office: "RM01".into(),
        }
    }

    /// The list as the straightforward implementation computes it: every request through the
    /// queue predicate and SkimMatcherV2, then a stable sort.
    fn reference(state: &State) -> Vec<usize> {
        let queue = state.current_queue();
        let terms = crate::tui::filter::terms(&state.filter);
        let matcher = SkimMatcherV2::default().ignore_case();
        let mut rows: Vec<usize> = (0..state.requests.len())
            .filter(|&i| queue.contains(&state.requests[i], &state.me, state.now))
            .filter(|&i| {
                let text = haystack(&state.requests[i]);
                terms.iter().all(|t| {
                    if t.exact {
                        text.contains(&t.text)
                    } else {
                        matcher.fuzzy_match(&text, &t.text).is_some()
                    }
                })
            })
            .collect();
        let due = |i: usize| {
            crate::tui::state::leading_clock(&state.requests[i])
                .map(|c| c.remaining_secs)
                .unwrap_or(i64::MAX)
        };
        let r = |i: usize| &state.requests[i];
        match state.sort {
            SortKey::Sla => rows.sort_by_key(|&i| (due(i), r(i).created_at)),
            SortKey::Age => rows.sort_by_key(|&i| r(i).created_at),
            SortKey::Priority => {
                rows.sort_by_key(|&i| (r(i).priority != Priority::Urgente, r(i).created_at))
            }
        }
        if !terms.is_empty() {
            rows.sort_by_cached_key(|&i| {
                std::cmp::Reverse(crate::tui::filter::score(&haystack(r(i)), &terms))
            });
        }
        rows
    }

    fn reference_counts(state: &State) -> Vec<usize> {
        state
            .queues
            .iter()
            .map(|q| {
                state
                    .requests
                    .iter()
                    .filter(|r| q.contains(r, &state.me, state.now))
                    .count()
            })
            .collect()
    }

    #[test]
    fn sla_levels_and_counts_follow_the_threshold_instants_as_time_passes() {
        use crate::domain::sla::SlaState;
        use crate::tui::state::sla_of;
        let mut state = loaded(40);
        let now = state.now;
        let mins = |m: i64| Some(now + SignedDuration::from_mins(m));
        let mut r = state.requests[0].clone();
        r.status = Status::InLavorazione;
        r.clocks.truncate(1);
        r.clocks[0].crossings = Some(crate::domain::sla::Crossings {
            warning: now - SignedDuration::from_mins(1),
            critical: now + SignedDuration::from_mins(10),
            breach: now + SignedDuration::from_mins(20),
        });
        r.clocks[0].due_at = mins(20);
        state.upsert(r.clone());
        let breached = state
            .queues
            .iter()
            .position(|q| *q == Queue::Breached)
            .unwrap();
        assert_eq!(sla_of(&r, now), Some(SlaState::Warning));
        assert_eq!(state.queue_counts, reference_counts(&state));
        state.queue_cursor = breached;
        state.refilter();
        assert!(!state.visible.iter().any(|&i| state.requests[i].id == r.id));
        // Time alone moves the request to critical, then breached; counts and list follow.
        for (minutes, level) in [
            (10, Some(SlaState::Critical)),
            (20, Some(SlaState::Breached)),
        ] {
            let later = now + SignedDuration::from_mins(minutes);
            assert_eq!(sla_of(&r, later - SignedDuration::from_secs(1)), {
                if minutes == 10 {
                    Some(SlaState::Warning)
                } else {
                    Some(SlaState::Critical)
                }
            });
            assert_eq!(sla_of(&r, later), level);
            state.advance(later);
            assert_eq!(state.queue_counts, reference_counts(&state));
        }
        assert!(state.visible.iter().any(|&i| state.requests[i].id == r.id));
        assert!(state.queue_counts[breached] > 0);
    }

    #[test]
    fn saved_filters_sit_before_all_open_and_count_their_matches_live() {
        use crate::config::sections::SavedFilter;
        let filter = SavedFilter {
            name: "Urgenti \u{1b}[31mINCA".into(),
            patronato: Some("inca".into()),
            priority: Some(Priority::Urgente),
            ..SavedFilter::default()
        };
        let mut state = loaded(200);
        state.queues = Queue::with_saved(std::slice::from_ref(&filter));
        let all = state.queues.len() - 1;
        assert_eq!(state.queues[all], Queue::All);
        let saved = all - 1;
        assert!(matches!(&state.queues[saved], Queue::Saved(f) if **f == filter));
        // The label is sanitised: no ESC reaches the terminal.
        assert!(!state.queues[saved].label(Lang::It).contains('\u{1b}'));
        state.recompute();
        let expected = |state: &State| {
            state
                .requests
                .iter()
                .filter(|r| {
                    r.status.is_open() && r.patronato == "INCA" && r.priority == Priority::Urgente
                })
                .count()
        };
        assert!(expected(&state) > 0, "the fixture has urgent INCA requests");
        assert_eq!(state.queue_counts[saved], expected(&state));
        // A change arriving live updates the count in place.
        let mut r = state
            .requests
            .iter()
            .find(|r| r.status.is_open() && r.patronato != "INCA")
            .unwrap()
            .clone();
        r.patronato = "INCA".into();
        r.priority = Priority::Urgente;
        r.version += 1;
        state.upsert(r);
        assert_eq!(state.queue_counts[saved], expected(&state));
        state.queue_cursor = saved;
        state.refilter();
        assert_eq!(state.visible.len(), expected(&state));
    }

    fn loaded(count: usize) -> State {
        let now: Timestamp = "2026-11-23T10:30:00Z".parse().unwrap();
        let mut state = State::new(Lang::It, me(), now);
        let mut requests = fixture::requests(count, now, "RM01", "op00");
        // Same citizen on several requests, a request without clocks, accents in the haystack.
        requests[3].citizen = requests[1].citizen.clone();
        requests[5].clocks.clear();
        requests[7].subject = "Perché è già così".into();
        state.set_requests(requests);
        state
    }

    #[test]
    fn typing_backspace_queues_and_sorts_match_the_reference() {
        let mut state = loaded(600);
        assert_eq!(state.queue_counts, reference_counts(&state));
        // Fuzzy and exact terms (`'`), in either order, a quote inside an exact term, a full
        // codice fiscale (exact on its masked form once complete), runs of spaces.
        let queries = [
            "ros",
            "rossi maria",
            "cbp-2026-0000",
            "perché",
            "xq",
            "e a",
            "'ross",
            "mar 'ross",
            "'ross  mar",
            "''ab",
            "rssmra85t10a562s",
        ];
        for queue in 0..state.queues.len() {
            state.queue_cursor = queue;
            for sort in SORTS {
                state.sort = sort;
                state.filter.clear();
                state.refilter();
                assert_eq!(state.visible, reference(&state), "{queue} {sort:?}");
                for query in queries {
                    for c in query.chars() {
                        state.filter.push(c);
                        state.refilter();
                        assert_eq!(state.visible, reference(&state), "{query:?}");
                    }
                    while state.filter.pop().is_some() {
                        state.refilter();
                        assert_eq!(state.visible, reference(&state), "{:?}", state.filter);
                    }
                }
            }
        }
    }

    #[test]
    fn upserts_keep_orders_counts_citizens_and_filter_levels_exact() {
        let mut state = loaded(400);
        state.queue_cursor = state.queues.iter().position(|q| *q == Queue::All).unwrap();
        state.filter = "ro".into();
        state.refilter();
        state.filter = "ros".into();
        state.refilter();
        let now = state.now;
        let mut changed = state.requests[10].clone();
        changed.status = Status::Chiusa;
        changed.updated_at = now;
        changed.citizen = state.requests[20].citizen.clone();
        state.upsert(changed);
        let mut renamed = state.requests[11].clone();
        renamed.citizen_name = Some("Zorro Zeta".into());
        renamed.clocks[0].due_at = Some(now + SignedDuration::from_secs(3600));
        state.upsert(renamed);
        let mut added = state.requests[12].clone();
        added.id = RequestId::new(2026, 9_999_999);
        added.subject = "Rosso".into();
        added.assignee = Some("op00".into());
        state.upsert(added);
        assert_eq!(state.visible, reference(&state));
        assert_eq!(state.queue_counts, reference_counts(&state));
        for query in ["ross", "ro", "", "zor", "zorro z", "'zorro", "zeta 'zor"] {
            state.filter = query.into();
            state.refilter();
            assert_eq!(state.visible, reference(&state), "{query:?}");
        }
        // Time moves on: counts follow at the next change, lists at the next refilter.
        state.now = now + SignedDuration::from_secs(3 * 86_400);
        let same = state.requests[30].clone();
        state.upsert(same);
        assert_eq!(state.queue_counts, reference_counts(&state));
        let rebuilt = {
            let mut fresh = State::new(Lang::It, me(), state.now);
            fresh.set_requests(state.requests.clone());
            fresh
        };
        assert_eq!(state.queue_counts, rebuilt.queue_counts);
        let r = state.requests[20].clone();
        let others: Vec<&RequestId> = state
            .other_open_requests(&r, 5)
            .into_iter()
            .map(|o| &o.id)
            .collect();
        let expected: Vec<&RequestId> = state
            .requests
            .iter()
            .filter(|o| o.citizen == r.citizen && o.id != r.id && o.status.is_open())
            .take(5)
            .map(|o| &o.id)
            .collect();
        assert_eq!(others, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// An updated request moves within each order (binary search and rotation) to exactly
        /// where building the orders afresh puts it, ties included.
        #[test]
        fn updates_leave_every_order_as_a_fresh_build(
            changes in proptest::collection::vec(
                (0usize..60, -200_000i64..200_000, 0i64..3, any::<bool>(), any::<bool>()),
                1..40,
            ),
        ) {
            let now: Timestamp = "2026-11-23T10:30:00Z".parse().unwrap();
            let me = me();
            let mut requests = fixture::requests(60, now, "RM01", "op00");
            requests[5].clocks.clear();
            let mut index = ListIndex::build(&requests, &me);
            for (i, remaining, created_step, urgent, clear_clocks) in changes {
                let mut changed = requests[i].clone();
                if clear_clocks {
                    changed.clocks.clear();
                } else if let Some(clock) = changed.clocks.first_mut() {
                    // Coarse values make ties, which the index breaks as a stable sort would.
                    clock.remaining_secs = remaining - remaining % 50_000;
                }
                changed.created_at = requests[(i + 7) % requests.len()].created_at
                    + SignedDuration::from_secs(created_step);
                changed.priority = if urgent { Priority::Urgente } else { Priority::Normale };
                index.update(i, Some(&requests[i]), &changed, &me);
                requests[i] = changed;
                let fresh = ListIndex::build(&requests, &me);
                for sort in SORTS {
                    prop_assert_eq!(index.order(sort), fresh.order(sort), "{:?}", sort);
                }
            }
        }

        #[test]
        fn subsequence_match_is_exactly_when_skim_matches(
            haystack in "[a-eàè ]{0,24}",
            query in "[a-eàè ]{1,5}",
            split in 0usize..5,
        ) {
            let skim = SkimMatcherV2::default().ignore_case();
            let expected = skim.fuzzy_match(&haystack, &query).is_some();
            prop_assert_eq!(extend_match(&haystack, 0, &query).is_some(), expected);
            // Resuming from the end of a prefix's match gives the same answer.
            let cut = query.char_indices().nth(split).map_or(query.len(), |(i, _)| i);
            let resumed = extend_match(&haystack, 0, &query[..cut])
                .and_then(|end| extend_match(&haystack, end, &query[cut..]));
            prop_assert_eq!(resumed.is_some(), expected);
        }
    }
}
