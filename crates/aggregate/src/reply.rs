//! What thread pairing remembers about sent interactions until their reply window closes: when
//! and by whom each was sent, and which of its To recipients still owe an answer to it as a
//! request or as an ask. One hash-map entry per event, with the (at most three) recipients of
//! an ask inline, so that an event costs one insertion and one removal however it is answered;
//! longer lists, and the lists of an event id seen twice, live in side maps.

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
    sent: FxHashMap<u64, Sent>,
    requests: FxHashMap<u64, Vec<u32>>,
    asks: FxHashMap<u64, Vec<u32>>,
    expiry: VecDeque<(i64, u64)>,
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
    /// Remembers `event`; `to` are its To recipients (other than the actor), open on it as a
    /// request when `request` and as an ask when `ask` (an ask has at most `MAX_ASK_TO` of
    /// them). An id remembered before is replaced, and of its open lists those the new event
    /// does not have stay.
    pub(crate) fn remember(&mut self, event: Event, to: &[u32], request: bool, ask: bool) {
        let Event {
            id: event,
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
        match self.sent.insert(event, s) {
            None => {
                if s.side {
                    self.requests.insert(event, to.to_vec());
                }
            }
            Some(old) => {
                // Seen before: the old lists, as they stand, unless this event brings its own.
                let (mut old_requests, mut old_asks) = self.lists(event, &old);
                if request {
                    old_requests = to.to_vec();
                }
                if ask {
                    old_asks = to.to_vec();
                }
                let s = self.sent.get_mut(&event).expect("just inserted");
                s.side = true;
                s.open = 0;
                self.requests.insert(event, old_requests);
                self.asks.insert(event, old_asks);
            }
        }
        self.expiry.push_back((time, event));
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
        let s = self.sent.get_mut(&event)?;
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
        while let Some(&(t0, e)) = self.expiry.front() {
            if now - t0 <= reply_window_ms {
                break;
            }
            self.expiry.pop_front();
            self.forget(e, out);
        }
    }

    /// The time of the last event remembered.
    pub(crate) fn last_time(&self) -> Option<i64> {
        self.expiry.back().map(|(t, _)| *t)
    }

    fn forget(&mut self, event: u64, out: &mut Vec<Expired>) {
        let Some(s) = self.sent.remove(&event) else {
            return;
        };
        if s.open == 0 && !s.side {
            return;
        }
        let (ignored, unanswered) = self.lists(event, &s);
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

    /// Random events (ids reused now and then), replies and expiries: the same answers and the
    /// same expired counts as with one map per list.
    #[test]
    fn inline_lists_behave_like_one_map_per_list() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        for case in 0..20 {
            let (mut ours, mut theirs) = (SentEvents::default(), Maps::default());
            let (mut got, mut want) = (Vec::new(), Vec::new());
            let mut t = 0i64;
            let people = 2 + case % 6;
            for step in 0..3000u64 {
                t += rng.random_range(0..5);
                let e = if rng.random_bool(0.05) {
                    step / 2
                } else {
                    step
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
                ours.expire(t, 40, &mut expired);
                got.extend(expired.into_iter().map(|x| (x.time, x.a, x.b, x.count)));
                theirs.expire(t, 40, &mut want);
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
