//! What thread pairing remembers about sent interactions until their reply window closes: when
//! and by whom each was sent, and which of its To recipients still owe an answer to it as a
//! request or as an ask.
//!
//! Events sit in a queue in the order they were sent (with the (at most three) recipients of an
//! ask inline; longer lists, and the lists of an event id seen twice, live in side maps), so a
//! closing reply window reads the front of the queue. An id finds its event through a map from
//! id to queue position that is never removed from: ids go into the current generation, and
//! when the queue's front passes the first position of the current generation, every event the
//! previous generation points to has left the queue, so that generation is dropped whole and the
//! current one becomes the previous. An event costs one map insertion, however it is answered;
//! the maps hold at most two reply windows of ids, 16 bytes each.

use crate::acc::Count;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use vocab::Kind;

const INLINE: usize = 3;
const _: () = assert!(vocab::MAX_ASK_TO <= INLINE);

#[derive(Clone, Copy)]
struct Sent {
    time: i64,
    actor: u32,
    kind: Kind,
    /// The To recipients, when inline.
    to: [u32; INLINE],
    n_to: u8,
    /// Bit i: `to[i]` owes an answer to the request; bit 4 + i: to the ask.
    open: u8,
    /// The open lists are in the side maps instead.
    side: bool,
}

const ASK_BITS: u32 = 4;

impl Sent {
    /// Takes `who` off the inline list of the request (`shift` 0) or of the ask (`shift` 4).
    fn take(&mut self, who: u32, shift: u32) -> bool {
        for i in 0..self.n_to as usize {
            let bit = 1u8 << (shift + i as u32);
            if self.to[i] == who && self.open & bit != 0 {
                self.open &= !bit;
                return true;
            }
        }
        false
    }

    fn inline_list(&self, shift: u32) -> impl Iterator<Item = u32> + '_ {
        (0..self.n_to as usize)
            .filter(move |&i| self.open & (1 << (shift + i as u32)) != 0)
            .map(|i| self.to[i])
    }
}

/// A place in the queue: an event, or (`record` false) a second sending of an id still
/// remembered, whose window closing forgets that id's event as the first sending's does.
#[derive(Clone, Copy)]
struct Slot {
    /// When this sending's reply window opened.
    at: i64,
    id: u64,
    /// The event (when `record`; else unused).
    sent: Sent,
    record: bool,
    /// The event is still remembered.
    live: bool,
}

/// An interaction as thread pairing sees it.
#[derive(Clone, Copy)]
pub(crate) struct Event {
    pub(crate) id: u64,
    pub(crate) time: i64,
    pub(crate) actor: u32,
    pub(crate) kind: Kind,
}

/// A reply found what it answers.
pub(crate) struct Answered {
    pub(crate) time: i64,
    pub(crate) kind: Kind,
    /// The replier was still open on the request: the reply fulfils it.
    pub(crate) request: bool,
    /// The replier was still open on the ask: the ask is now decided.
    pub(crate) ask: bool,
}

/// An update a closed reply window leaves: `count` on (a, b), in the windows of `time`.
pub(crate) struct Expired {
    pub(crate) time: i64,
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) count: Count,
}

#[derive(Default)]
pub(crate) struct SentEvents {
    /// Every sending whose reply window is open, in the order sent.
    queue: VecDeque<Slot>,
    /// The position of `queue[0]` (positions count every sending ever queued).
    head: u64,
    /// id → position of its latest event, for ids queued from `current_from` on.
    current: FxHashMap<u64, u64>,
    /// The same for ids queued before `current_from`.
    previous: FxHashMap<u64, u64>,
    current_from: u64,
    requests: FxHashMap<u64, Vec<u32>>,
    asks: FxHashMap<u64, Vec<u32>>,
}

fn take_from(list: Option<&mut Vec<u32>>, who: u32) -> bool {
    match list {
        Some(open) => match open.iter().position(|&x| x == who) {
            Some(i) => {
                open.swap_remove(i);
                true
            }
            None => false,
        },
        None => false,
    }
}

impl SentEvents {
    /// The queue index of the event `id` names, if it is still remembered.
    fn find(&self, id: u64) -> Option<usize> {
        let at = match self.current.get(&id) {
            Some(&at) => at,
            None => *self.previous.get(&id)?,
        };
        // A map's position is of the id's latest event; before the head, it has left.
        let k = usize::try_from(at.checked_sub(self.head)?).ok()?;
        let slot = &self.queue[k];
        debug_assert!(slot.record && slot.id == id);
        slot.live.then_some(k)
    }

    /// Remembers `event`; `to` are its To recipients (other than the actor), open on it as a
    /// request when `request` and as an ask when `ask` (an ask has at most `MAX_ASK_TO` of
    /// them). An id remembered before is replaced, and of its open lists those the new event
    /// does not have stay; the first sending's window closing forgets it.
    pub(crate) fn remember(&mut self, event: Event, to: &[u32], request: bool, ask: bool) {
        let Event {
            id,
            time,
            actor,
            kind,
        } = event;
        let request = request && !to.is_empty();
        let ask = ask && !to.is_empty() && to.len() <= INLINE;
        let mut s = Sent {
            time,
            actor,
            kind,
            to: [0; INLINE],
            n_to: 0,
            open: 0,
            side: false,
        };
        if to.len() <= INLINE {
            s.to[..to.len()].copy_from_slice(to);
            s.n_to = to.len() as u8;
            let all = (1u8 << to.len()) - 1;
            if request {
                s.open |= all;
            }
            if ask {
                s.open |= all << ASK_BITS;
            }
        } else if request {
            s.side = true;
        }
        let mut slot = Slot {
            at: time,
            id,
            sent: s,
            record: true,
            live: true,
        };
        match self.find(id) {
            None => {
                if s.side {
                    self.requests.insert(id, to.to_vec());
                }
                let at = self.head + self.queue.len() as u64;
                self.current.insert(id, at);
            }
            Some(k) => {
                // Seen before: the old lists, as they stand, unless this event brings its own.
                let old = self.queue[k].sent;
                let (mut old_requests, mut old_asks) = self.lists(id, &old);
                if request {
                    old_requests = to.to_vec();
                }
                if ask {
                    old_asks = to.to_vec();
                }
                s.side = true;
                s.open = 0;
                self.queue[k].sent = s;
                self.requests.insert(id, old_requests);
                self.asks.insert(id, old_asks);
                slot.record = false;
                slot.live = false;
            }
        }
        self.queue.push_back(slot);
    }

    /// The open lists of `event` (request, ask), taken out of the side maps.
    fn lists(&mut self, event: u64, s: &Sent) -> (Vec<u32>, Vec<u32>) {
        if s.side {
            (
                self.requests.remove(&event).unwrap_or_default(),
                self.asks.remove(&event).unwrap_or_default(),
            )
        } else {
            (
                s.inline_list(0).collect(),
                s.inline_list(ASK_BITS).collect(),
            )
        }
    }

    /// A reply at `time` from `replier` to `to` naming `event`: what it answers, if `event` was
    /// sent by `to`, not after the reply, and is still remembered.
    pub(crate) fn answer(
        &mut self,
        event: u64,
        replier: u32,
        to: u32,
        time: i64,
    ) -> Option<Answered> {
        let k = self.find(event)?;
        let s = &mut self.queue[k].sent;
        if s.actor != to || s.time > time {
            return None;
        }
        let (request, ask) = if s.side {
            (
                take_from(self.requests.get_mut(&event), replier),
                take_from(self.asks.get_mut(&event), replier),
            )
        } else {
            (s.take(replier, 0), s.take(replier, ASK_BITS))
        };
        Some(Answered {
            time: s.time,
            kind: s.kind,
            request,
            ask,
        })
    }

    /// Forgets every event whose reply window closed before `now`, in the order they were sent,
    /// and says what each left open: a request recipient ignored it (`n_ignored` on
    /// (recipient, actor)), an ask recipient left it unanswered (`n_unanswered` on
    /// (recipient, actor) and the ask decided, `n_ask` on (actor, recipient)).
    pub(crate) fn expire(&mut self, now: i64, reply_window_ms: i64, out: &mut Vec<Expired>) {
        while let Some(front) = self.queue.front() {
            if now - front.at <= reply_window_ms {
                break;
            }
            let slot = self.queue.pop_front().expect("a front");
            self.head += 1;
            if slot.record && slot.live {
                self.forget(slot.id, &slot.sent, out);
            } else if let Some(k) = self.find(slot.id) {
                // A second sending (or an event forgotten early by one): the id's event, wherever
                // it is, is forgotten now.
                self.queue[k].live = false;
                let s = self.queue[k].sent;
                self.forget(slot.id, &s, out);
            }
        }
        if self.head >= self.current_from && !self.current.is_empty() {
            // Every position the previous generation holds is before the head.
            let mut spent = std::mem::take(&mut self.previous);
            if spent.capacity() > 4 * self.current.len().max(1 << 10) {
                spent = FxHashMap::default();
            } else {
                spent.clear();
            }
            self.previous = std::mem::replace(&mut self.current, spent);
            self.current_from = self.head + self.queue.len() as u64;
        }
    }

    /// The time of the last event remembered.
    pub(crate) fn last_time(&self) -> Option<i64> {
        self.queue.back().map(|s| s.at)
    }

    fn forget(&mut self, event: u64, s: &Sent, out: &mut Vec<Expired>) {
        if s.open == 0 && !s.side {
            return;
        }
        let (ignored, unanswered) = self.lists(event, s);
        for recipient in ignored {
            out.push(Expired {
                time: s.time,
                a: recipient,
                b: s.actor,
                count: Count::Ignored,
            });
        }
        for recipient in unanswered {
            out.push(Expired {
                time: s.time,
                a: recipient,
                b: s.actor,
                count: Count::Unanswered,
            });
            out.push(Expired {
                time: s.time,
                a: s.actor,
                b: recipient,
                count: Count::Ask,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The reference: one map per list, as thread pairing kept them before lists went inline.
    #[derive(Default)]
    struct Maps {
        sent: FxHashMap<u64, (i64, u32, Kind)>,
        requests: FxHashMap<u64, Vec<u32>>,
        asks: FxHashMap<u64, Vec<u32>>,
        expiry: VecDeque<(i64, u64)>,
    }

    impl Maps {
        fn remember(&mut self, x: Event, to: &[u32], rq: bool, ask: bool) {
            let (e, t, actor, kind) = (x.id, x.time, x.actor, x.kind);
            if rq && !to.is_empty() {
                self.requests.insert(e, to.to_vec());
            }
            if ask && !to.is_empty() && to.len() <= vocab::MAX_ASK_TO {
                self.asks.insert(e, to.to_vec());
            }
            self.sent.insert(e, (t, actor, kind));
            self.expiry.push_back((t, e));
        }

        fn answer(&mut self, e: u64, a: u32, b: u32, t: i64) -> Option<(i64, Kind, bool, bool)> {
            let &(t0, actor, kind) = self.sent.get(&e)?;
            if actor != b || t0 > t {
                return None;
            }
            let request = take_from(self.requests.get_mut(&e), a);
            let ask = take_from(self.asks.get_mut(&e), a);
            Some((t0, kind, request, ask))
        }

        fn expire(&mut self, now: i64, rw: i64, out: &mut Vec<(i64, u32, u32, Count)>) {
            while let Some(&(t0, e)) = self.expiry.front() {
                if now - t0 <= rw {
                    break;
                }
                self.expiry.pop_front();
                if let Some((t, actor, _)) = self.sent.remove(&e) {
                    for r in self.requests.remove(&e).unwrap_or_default() {
                        out.push((t, r, actor, Count::Ignored));
                    }
                    for r in self.asks.remove(&e).unwrap_or_default() {
                        out.push((t, r, actor, Count::Unanswered));
                        out.push((t, actor, r, Count::Ask));
                    }
                }
            }
        }
    }

    /// Random events (ids reused now and then, or often from a small pool), replies and
    /// expiries, with busy stretches and quiet gaps (the queue's front catching up with its
    /// back, map generations turning over): the same answers and the same expired counts as
    /// with one map per id and per list.
    #[test]
    fn the_queue_behaves_like_one_map_per_list() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        for case in 0..60 {
            let (mut ours, mut theirs) = (SentEvents::default(), Maps::default());
            let (mut got, mut want) = (Vec::new(), Vec::new());
            let mut t = 0i64;
            let people = 2 + case % 6;
            let window = [40, 3, 400][case as usize % 3];
            let (reuse, pool) =
                [(0.05, None), (0.3, Some(12)), (0.6, Some(3))][case as usize / 3 % 3];
            let gaps = case % 2 == 1;
            for step in 0..3000u64 {
                t += if gaps && rng.random_bool(0.1) {
                    rng.random_range(0..500)
                } else {
                    rng.random_range(0..5)
                };
                let e = if rng.random_bool(reuse) {
                    pool.map_or(step / 2, |k| rng.random_range(0..k))
                } else {
                    1000 + step
                };
                if rng.random_bool(0.5) {
                    let actor = rng.random_range(0..people);
                    let n = rng.random_range(0..6usize);
                    let to: Vec<u32> = (0..n).map(|_| rng.random_range(0..people)).collect();
                    let kind = Kind::ALL[rng.random_range(0..3)];
                    let (rq, ask) = (rng.random_bool(0.5), rng.random_bool(0.5));
                    let x = Event {
                        id: e,
                        time: t,
                        actor,
                        kind,
                    };
                    ours.remember(x, &to, rq, ask);
                    theirs.remember(x, &to, rq, ask);
                } else {
                    let (a, b) = (rng.random_range(0..people), rng.random_range(0..people));
                    let mine = ours
                        .answer(e, a, b, t)
                        .map(|x| (x.time, x.kind, x.request, x.ask));
                    assert_eq!(mine, theirs.answer(e, a, b, t), "case {case} step {step}");
                }
                let mut expired = Vec::new();
                ours.expire(t, window, &mut expired);
                got.extend(expired.into_iter().map(|x| (x.time, x.a, x.b, x.count)));
                theirs.expire(t, window, &mut want);
            }
            ours.expire(i64::MAX, 0, &mut Vec::new());
            // Within one event the order of recipients may differ: compare as sorted lists.
            let key = |x: &(i64, u32, u32, Count)| (x.0, x.1, x.2, x.3 as u8);
            got.sort_by_key(key);
            want.sort_by_key(key);
            assert_eq!(got.len(), want.len(), "case {case}");
            assert!(
                got.iter().zip(&want).all(|(x, y)| key(x) == key(y)),
                "case {case}"
            );
        }
    }
}
