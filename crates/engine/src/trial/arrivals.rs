//! The arrivals schedule (step 6 of `docs/model.md`): what arrives on each link in each coming period, per lane,
//! and for licensed links the quantity times ship period (for the customers' lead-time estimates).
//!
//! Each link has a ring of [`ROWS`] periods rather than a bucket for every period of the horizon: a shipment lands
//! within a few weeks of its ship period, so the rings (275 kB for a group of 8 lanes on the default scenario)
//! stay in the processor's second-level cache, where a schedule of the whole horizon (1.3 MB, with the licensed
//! links' ship times 2 MB) had each bucket fetched from further out the first time a group wrote it: a fifth of
//! the run's time, by a sampling profile, though a few per cent of its instructions. A shipment `ROWS` periods
//! ahead or more (a long licence review, a long lead time) waits in a list of its arrival period, in the order it
//! was shipped, and moves into the ring when its row comes free, before anything else is added to that row: each
//! bucket receives the same additions in the same order as in a schedule of the whole horizon, so every bit of the
//! results is unchanged.
//!
//! Receiving takes (zeroes) a bucket; shipments that would arrive after the horizon are not scheduled (they stay
//! in the link's pipeline), so the schedule is empty again at the end of every group and needs no clearing.

/// Periods in the ring: a power of two, so that a period's row is its low bits. 32 weeks holds the lead times of
/// the shipped scenarios (at most 10 weeks) with most licence reviews (median 3 and 8 weeks); measured against 16
/// and 64 periods, which took about the same time (commit 75ecea8).
pub(super) const ROWS: usize = 32;

/// A shipment scheduled `ROWS` periods ahead or more, waiting for its row.
#[derive(Debug, Clone, Copy)]
struct Later {
    link: usize,
    /// The link's index among the licensed links, if it is licensed.
    licensed: Option<usize>,
    lane: usize,
    quantity: f64,
    /// Quantity times ship period (licensed links only).
    ship_time: f64,
    /// Part of the pipeline at the start of the horizon: it sets its bucket, as the other start entries do.
    start: bool,
}

/// One link's ring: what arrives in period `a` at `[a % ROWS]`, per lane.
type Ring<const N: usize> = [[f64; N]; ROWS];

/// The arrivals schedule of a group of `N` lanes.
#[derive(Debug, Clone)]
pub(super) struct Arrivals<const N: usize> {
    /// Each link's ring of quantities arriving.
    quantity: Vec<Ring<N>>,
    /// Each licensed link's ring of quantity times ship period, by its index among the licensed links.
    ship_time: Vec<Ring<N>>,
    /// Shipments `ROWS` or more periods ahead, by arrival period, in the order they were scheduled.
    later: Vec<Vec<Later>>,
}

impl<const N: usize> Arrivals<N> {
    pub(super) fn new(links: usize, licensed_links: usize, periods: usize) -> Self {
        Self {
            quantity: vec![[[0.0; N]; ROWS]; links],
            ship_time: vec![[[0.0; N]; ROWS]; licensed_links],
            later: vec![Vec::new(); periods],
        }
    }

    /// At the start of period `t`: the row of period `t + ROWS - 1` came free when period `t - 1` was received;
    /// the shipments waiting for it move in, in the order they were scheduled.
    #[inline]
    pub(super) fn advance(&mut self, t: usize) {
        let Some(waiting) = self.later.get_mut(t + ROWS - 1) else {
            return;
        };
        if waiting.is_empty() {
            return;
        }
        let row = (t + ROWS - 1) % ROWS;
        for entry in waiting.drain(..) {
            let bucket = &mut self.quantity[entry.link][row][entry.lane];
            *bucket = if entry.start { entry.quantity } else { *bucket + entry.quantity };
            if let Some(j) = entry.licensed {
                let bucket = &mut self.ship_time[j][row][entry.lane];
                *bucket = if entry.start { entry.ship_time } else { *bucket + entry.ship_time };
            }
        }
    }

    /// The schedule as a period's shipping and receiving use it.
    #[inline(always)]
    pub(super) fn schedule(&mut self) -> Schedule<'_, N> {
        Schedule { quantity: &mut self.quantity, ship_time: &mut self.ship_time, later: &mut self.later }
    }

    /// Lane `k`'s pipeline at the start of the horizon: `quantity` arriving on link `l` (`licensed`: its index among
    /// the licensed links and the quantity-weighted ship period) in period `arrive`, within the horizon.
    pub(super) fn set_start(
        &mut self,
        arrive: usize,
        l: usize,
        licensed: Option<(usize, f64)>,
        k: usize,
        quantity: f64,
    ) {
        debug_assert!(arrive < self.later.len());
        if arrive < ROWS {
            self.quantity[l][arrive][k] = quantity;
            if let Some((j, ship_time)) = licensed {
                self.ship_time[j][arrive][k] = ship_time;
            }
        } else {
            let (licensed, ship_time) = licensed.map_or((None, 0.0), |(j, ship_time)| (Some(j), ship_time));
            self.later[arrive].push(Later { link: l, licensed, lane: k, quantity, ship_time, start: true });
        }
    }

    /// Whether nothing is scheduled (as at the end of every group).
    pub(super) fn is_empty(&self) -> bool {
        self.quantity.iter().chain(&self.ship_time).flatten().all(|bucket| bucket.iter().all(|&x| x == 0.0))
            && self.later.iter().all(Vec::is_empty)
    }
}

/// The arrivals schedule borrowed for a period's shipping and receiving.
pub(super) struct Schedule<'a, const N: usize> {
    quantity: &'a mut [Ring<N>],
    ship_time: &'a mut [Ring<N>],
    later: &'a mut [Vec<Later>],
}

impl<const N: usize> Schedule<'_, N> {
    /// Takes what arrives on link `l` in period `t`.
    #[inline(always)]
    pub(super) fn take(&mut self, t: usize, l: usize) -> [f64; N] {
        std::mem::replace(&mut self.quantity[l][t % ROWS], [0.0; N])
    }

    /// Takes the quantity times ship period of what arrives on licensed link `j` in period `t`.
    #[inline(always)]
    pub(super) fn take_ship_time(&mut self, t: usize, j: usize) -> [f64; N] {
        std::mem::replace(&mut self.ship_time[j][t % ROWS], [0.0; N])
    }

    /// Schedules what link `l` (not licensed) ships in period `t`, `quantity` in each lane, to arrive `lead`
    /// periods on (`longest` the longest of them); nothing past the horizon. Lanes that ship nothing add their +0.0,
    /// which leaves a bucket (+0.0 or positive) as it is.
    #[inline(always)]
    pub(super) fn add(&mut self, t: usize, lead: &[usize; N], longest: usize, l: usize, quantity: &[f64; N]) {
        let periods = self.later.len();
        let ring = &mut self.quantity[l];
        if longest < ROWS && t + longest < periods {
            // The common case: every lane's shipment lands in the ring, within the horizon.
            for k in 0..N {
                ring[(t + lead[k]) % ROWS][k] += quantity[k];
            }
            return;
        }
        for k in 0..N {
            let arrive = t + lead[k];
            if arrive < periods {
                if lead[k] < ROWS {
                    ring[arrive % ROWS][k] += quantity[k];
                } else {
                    wait(self.later, arrive, l, None, k, quantity[k], 0.0);
                }
            }
        }
    }

    /// Schedules what licensed link `l` (`j` among the licensed) ships in period `t`, `quantity` in each lane, to
    /// arrive in period `arrive` (at or after `t`); nothing past the horizon, and nothing for lanes that ship nothing.
    #[inline(always)]
    pub(super) fn add_licensed(&mut self, t: usize, arrive: &[usize; N], l: usize, j: usize, quantity: &[f64; N]) {
        let periods = self.later.len();
        let (ring, ship_ring) = (&mut self.quantity[l], &mut self.ship_time[j]);
        let last = arrive.iter().fold(0, |last, &a| last.max(a));
        if last - t < ROWS && last < periods {
            // The common case: every lane's shipment lands in the ring, within the horizon. A lane that ships
            // nothing adds -0.0, which leaves every number as it is (a ship time at the start of the horizon may be
            // -0.0 or negative), without a branch.
            let shipping: [bool; N] = std::array::from_fn(|k| quantity[k] > 0.0);
            let added: [f64; N] = std::array::from_fn(|k| if shipping[k] { quantity[k] } else { -0.0 });
            let ship_time: [f64; N] = std::array::from_fn(|k| if shipping[k] { quantity[k] * t as f64 } else { -0.0 });
            for k in 0..N {
                ring[arrive[k] % ROWS][k] += added[k];
                ship_ring[arrive[k] % ROWS][k] += ship_time[k];
            }
            return;
        }
        for k in 0..N {
            if !(quantity[k] > 0.0) || arrive[k] >= periods {
                continue;
            }
            let ship_time = quantity[k] * t as f64;
            if arrive[k] - t < ROWS {
                ring[arrive[k] % ROWS][k] += quantity[k];
                ship_ring[arrive[k] % ROWS][k] += ship_time;
            } else {
                wait(self.later, arrive[k], l, Some(j), k, quantity[k], ship_time);
            }
        }
    }

    /// The same when every lane's shipment arrives in period `arrive`, with one bucket for all lanes.
    #[inline(always)]
    pub(super) fn add_licensed_lanes(&mut self, t: usize, arrive: usize, l: usize, j: usize, quantity: &[f64; N]) {
        if arrive >= self.later.len() {
            return;
        }
        if arrive - t < ROWS {
            let bucket = &mut self.quantity[l][arrive % ROWS];
            let ship_time = &mut self.ship_time[j][arrive % ROWS];
            for k in 0..N {
                bucket[k] += quantity[k];
                ship_time[k] += quantity[k] * t as f64;
            }
        } else {
            for k in 0..N {
                wait(self.later, arrive, l, Some(j), k, quantity[k], quantity[k] * t as f64);
            }
        }
    }
}

/// Lane `k`'s shipment on link `l` (`licensed`: its index among the licensed links), shipped `ROWS` or more
/// periods before `arrive`, waits in `later`'s list of that period.
#[cold]
fn wait(
    later: &mut [Vec<Later>],
    arrive: usize,
    l: usize,
    licensed: Option<usize>,
    k: usize,
    quantity: f64,
    ship_time: f64,
) {
    later[arrive].push(Later { link: l, licensed, lane: k, quantity, ship_time, start: false });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schedule of the whole horizon, as the engine kept before the ring: the reference.
    struct Whole<const N: usize> {
        links: usize,
        licensed_links: usize,
        periods: usize,
        quantity: Vec<[f64; N]>,
        ship_time: Vec<[f64; N]>,
    }

    impl<const N: usize> Whole<N> {
        fn add(&mut self, t: usize, arrive: usize, l: usize, licensed: Option<usize>, k: usize, quantity: f64) {
            if arrive < self.periods {
                self.quantity[arrive * self.links + l][k] += quantity;
                if let Some(j) = licensed {
                    self.ship_time[arrive * self.licensed_links + j][k] += quantity * t as f64;
                }
            }
        }
    }

    /// A small generator for the test's choices (xorshift64).
    struct Choices(u64);

    impl Choices {
        fn next(&mut self, below: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % below as u64) as usize
        }

        /// +0.0 a quarter of the time, otherwise a quantity with a fraction, so that the order of additions shows
        /// in the bits of the sums.
        fn quantity(&mut self) -> f64 {
            if self.next(4) == 0 { 0.0 } else { self.next(1_000_000) as f64 / 7.0 + 0.1 }
        }
    }

    /// The ring and its list of later shipments give every bucket the bits of a schedule of the whole horizon,
    /// with shipments up to three rings ahead, lead times of zero, lanes arriving apart and together, a pipeline
    /// at the start that reaches past the ring, and shipments past the horizon; and are empty at the end.
    #[test]
    fn the_ring_gives_the_bits_of_a_schedule_of_the_whole_horizon() {
        const N: usize = 4;
        let (links, licensed_links, periods) = (6, 3, 5 * ROWS + 3);
        // Links 0, 2 and 4 are licensed (0, 1 and 2 among the licensed).
        let licensed = |l: usize| l.is_multiple_of(2).then_some(l / 2);
        let mut ring = Arrivals::<N>::new(links, licensed_links, periods);
        let mut whole = Whole::<N> {
            links,
            licensed_links,
            periods,
            quantity: vec![[0.0; N]; links * periods],
            ship_time: vec![[0.0; N]; licensed_links * periods],
        };
        let mut choices = Choices(0x9e37_79b9_7f4a_7c15);
        for l in 0..links {
            for k in 0..N {
                let lead = choices.next(2 * ROWS);
                for a in 0..lead {
                    let quantity = choices.quantity();
                    let ship_time = quantity * (a as f64 - lead as f64);
                    ring.set_start(a, l, licensed(l).map(|j| (j, ship_time)), k, quantity);
                    whole.quantity[a * links + l][k] = quantity;
                    if let Some(j) = licensed(l) {
                        whole.ship_time[a * licensed_links + j][k] = ship_time;
                    }
                }
            }
        }
        let mut later_used = 0;
        for t in 0..periods {
            ring.advance(t);
            later_used += ring.later.iter().filter(|waiting| !waiting.is_empty()).count();
            for _ in 0..20 {
                let l = choices.next(links);
                // Half the time within the ring in every lane (the schedule's common case), else up to three rings.
                let reach = if choices.next(2) == 0 { ROWS } else { 3 * ROWS };
                let arrive: [usize; N] = std::array::from_fn(|_| t + choices.next(reach));
                let quantity: [f64; N] = std::array::from_fn(|_| choices.quantity());
                match (licensed(l), choices.next(2)) {
                    (None, _) => {
                        let lead = arrive.map(|arrive| arrive - t);
                        ring.schedule().add(t, &lead, lead.into_iter().max().unwrap_or(0), l, &quantity);
                        for k in 0..N {
                            whole.add(t, arrive[k], l, None, k, quantity[k]);
                        }
                    }
                    (Some(j), 0) => {
                        ring.schedule().add_licensed_lanes(t, arrive[0], l, j, &quantity);
                        for k in 0..N {
                            whole.add(t, arrive[0], l, Some(j), k, quantity[k]);
                        }
                    }
                    (Some(j), _) => {
                        // As the engine did before the ring: lanes that ship nothing are not scheduled.
                        ring.schedule().add_licensed(t, &arrive, l, j, &quantity);
                        for k in 0..N {
                            if quantity[k] > 0.0 {
                                whole.add(t, arrive[k], l, Some(j), k, quantity[k]);
                            }
                        }
                    }
                }
            }
            let mut schedule = ring.schedule();
            for l in 0..links {
                let got = schedule.take(t, l);
                assert_eq!(got.map(f64::to_bits), whole.quantity[t * links + l].map(f64::to_bits), "t {t}, link {l}");
            }
            for j in 0..licensed_links {
                let got = schedule.take_ship_time(t, j);
                let expected = whole.ship_time[t * licensed_links + j];
                assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "t {t}, licensed link {j}");
            }
        }
        assert!(later_used > 0, "no shipment waited for its row");
        assert!(ring.is_empty());
    }
}
