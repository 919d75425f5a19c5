// SPDX-License-Identifier: GPL-2.0

//! Workers: the filesystem's own threads that race dcache shrinking against
//! umount (the seed's scenario).
//!
//! A mount with `workers=K` starts `K` work items on the module's own
//! workqueue ([`super::QUEUE`], destroyed in module exit).  Each loops, with
//! its own PRNG seeded from `seed=S` and its index:
//!
//! 1. pin the superblock ([`WeakSuper::try_activate`]; once `->kill_sb()`
//!    has begun this fails and the worker stops taking references);
//! 2. take counted references by lookups along random paths;
//! 3. `put` them all into its private [`ShrinkList`] while holding the
//!    mount's shared spinlock: most are hashed, so their last `put` takes the
//!    retain path (cached at once, or deferred to `shrink()`), and names
//!    under `drop-` or invalidated subtrees take the kill path;
//! 4. now and then `shrink_dcache_parent()` or `d_invalidate()` a random
//!    subtree;
//! 5. drop the pin and **hold the non-empty list** for a few milliseconds:
//!    its entries carry no reference and need no pin, so umount may run
//!    now, kill them itself and leave husks on the list;
//! 6. if umount began meanwhile, either (a coin toss) wait until the
//!    teardown is over (`generic_shutdown_super()` returned) or not, racing
//!    umount's walk with this worker's own kills; then count what a census
//!    of the list finds (husks, entries in use again) and `shrink()`, and go
//!    round again (or stop, once umount began).
//!
//! With `scenario=K` the mount runs [`scenario`]'s workers instead, which
//! force one interleaving step by step.
//!
//! Who waits for whom: `->kill_sb()` (in [`Workers::teardown_done`]) waits,
//! after `generic_shutdown_super()`, until every worker but the one it runs
//! in (a worker that dropped the last active reference runs `->kill_sb()`
//! itself) has exited; workers wait for nothing but that teardown.  Neither
//! waits while holding a lock or a pin the other needs, so there is no
//! cycle.  `->kill_sb()` waits for the workers so that the superblock's
//! counters are final when it reports them; module exit waits for every
//! work item by destroying the queue.
//!
//! Orderings: `stop` and `torn_down` are set with `Release` and read with
//! `Acquire`, so a worker that sees `torn_down` sees the teardown before it
//! (the husks its census then counts); `running` is decremented with `Release`
//! after a worker's last access to the superblock's state, and
//! `teardown_done()` reads it with `Acquire`.

use super::{registry, registry::Counter, scenario, shape::Shape, RdcacheFs, QUEUE};
use crate::dcache::{Census, DentryRef, PutResult, ShrinkList, WeakSuper};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc, SpinLock,
    },
    task::Pid,
    time::{delay::fsleep, Delta},
};
use pin_init::stack_pin_init;

/// Most workers one mount may start.
pub(crate) const MAX_WORKERS: u32 = 8;

/// Most `linger=` takes, in milliseconds.
pub(crate) const MAX_LINGER_MS: u32 = 1000;

/// A xorshift64* generator: the same seed gives the same schedule.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// The workers of one mount.
#[pin_data]
pub(crate) struct Workers {
    /// Set when `->kill_sb()` begins.
    stop: Atomic<bool>,
    /// Set when `generic_shutdown_super()` has returned.
    torn_down: Atomic<bool>,
    running: Atomic<u32>,
    /// The spinlock under which workers `put` their references.
    #[pin]
    lock: SpinLock<u64>,
    /// Pids of the workers, to know whether `->kill_sb()` runs in one.
    #[pin]
    pids: SpinLock<KVec<Pid>>,
    /// Per worker id: its pid while it is inside [`ShrinkList::shrink`]
    /// ([`Workers::shrink`]), else 0; so that `->kill_sb()` can tell whether
    /// a shrink runs it (it never may: `kill_sb_in_shrink`).
    shrinking: [Atomic<i32>; MAX_WORKERS as usize],
    /// The superblock, once mounted ([`Workers::start`]).
    #[pin]
    sb: SpinLock<Option<WeakSuper<RdcacheFs>>>,
}

impl Workers {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                stop: Atomic::new(false),
                torn_down: Atomic::new(false),
                running: Atomic::new(0),
                lock <- new_spinlock!(0, "rdcachefs_workers"),
                pids <- new_spinlock!(KVec::new(), "rdcachefs_worker_pids"),
                shrinking: [const { Atomic::new(0) }; MAX_WORKERS as usize],
                sb <- new_spinlock!(None, "rdcachefs_workers_sb"),
            }),
            GFP_KERNEL,
        )
    }

    /// Starts the workers `cfg` asks for on the superblock `cfg.tag`: the
    /// random ones, or a [`scenario`]'s.  `ENOMEM` if any could not start
    /// (those that did stop when `->kill_sb()` begins); `EBUSY` for a
    /// scenario while another scenario's workers run.
    pub(crate) fn start(self: &Arc<Self>, sb: &WeakSuper<RdcacheFs>, cfg: Config) -> Result {
        let (n, tag) = (cfg.count(), cfg.tag);
        *self.sb.lock() = Some(sb.clone());
        // Room for every worker's pid now: `run()` records it without allocating.
        let Ok(mut pids) = KVec::with_capacity(n as usize, GFP_KERNEL) else {
            pr_err!("superblock #{tag}: no memory for {n} workers\n");
            return Err(ENOMEM);
        };
        core::mem::swap(&mut *self.pids.lock(), &mut pids);
        if cfg.scenario > 0 {
            scenario::claim(n)?;
        }
        for id in 0..n {
            let (w, sb) = (self.clone(), sb.clone());
            self.running.add(1, Relaxed);
            let spawned = spawn(move || {
                if cfg.scenario > 0 {
                    scenario::run(&w, &sb, cfg.scenario, id, tag);
                } else {
                    w.run(
                        &sb,
                        cfg.shape,
                        tag,
                        id,
                        u64::from(cfg.seed) << 8 | u64::from(id),
                    );
                }
                w.running.fetch_sub(1, Release);
                // `linger=`: still module code, after `->kill_sb()` stopped
                // waiting for us; module exit must wait instead.
                if cfg.linger > 0 {
                    fsleep(Delta::from_millis(cfg.linger.into()));
                }
            });
            if let Err(e) = spawned {
                self.running.fetch_sub(1, Relaxed);
                if cfg.scenario > 0 {
                    scenario::unclaim(n - id);
                }
                pr_err!("superblock #{tag}: could not start worker {id} of {n}\n");
                return Err(e);
            }
        }
        Ok(())
    }

    /// Records the current task as one of the workers (room was reserved
    /// by [`Workers::start`], so this never allocates).
    pub(crate) fn record_pid(&self) {
        // Cannot fail: `start()` reserved room for every worker.
        let _ = self
            .pids
            .lock()
            .push_within_capacity(kernel::current!().pid());
    }

    /// The mount's superblock, once [`Workers::start`] ran.
    pub(crate) fn sb(&self) -> Option<WeakSuper<RdcacheFs>> {
        self.sb.lock().clone()
    }

    /// Whether the current task is one of the workers.
    pub(crate) fn is_worker(&self) -> bool {
        self.pids.lock().contains(&kernel::current!().pid())
    }

    /// `->kill_sb()` begins: workers stop taking references.
    /// `list.shrink()` by worker `id`, marked as such for
    /// [`Workers::in_shrink`].
    pub(crate) fn shrink(&self, id: u32, list: Pin<&mut ShrinkList>) -> usize {
        let slot = &self.shrinking[id as usize % self.shrinking.len()];
        slot.store(kernel::current!().pid(), Release);
        let kept = list.shrink_kept();
        slot.store(0, Release);
        kept
    }

    /// Whether the current task is a worker inside [`Workers::shrink`].
    pub(crate) fn in_shrink(&self) -> bool {
        let pid = kernel::current!().pid();
        self.shrinking.iter().any(|s| s.load(Acquire) == pid)
    }

    pub(crate) fn stop(&self) {
        self.stop.store(true, Release);
    }

    /// `generic_shutdown_super()` returned: let workers free their husks,
    /// and wait until all of them but the current thread have exited.
    pub(crate) fn teardown_done(&self) {
        self.torn_down.store(true, Release);
        let mine = u32::from(self.is_worker());
        while self.running.load(Acquire) > mine {
            fsleep(Delta::from_millis(1));
        }
    }

    fn run(&self, sb: &WeakSuper<RdcacheFs>, shape: Shape, tag: u32, id: u32, seed: u64) {
        self.record_pid();
        registry::worker_started(tag);
        let mut rng = Rng::new(seed);
        stack_pin_init!(let list = ShrinkList::new());
        while !self.stop.load(Acquire) {
            let Some(pin) = sb.try_activate() else {
                if sb.is_gone() {
                    break;
                }
                // Not visible yet (the mount is still being set up).
                fsleep(Delta::from_millis(1));
                continue;
            };
            {
                let root = pin.root();
                let mut refs = KVec::new();
                for _ in 0..1 + rng.below(16) {
                    if let Some(d) = random_path(&root, shape, &mut rng) {
                        if refs.push(d, GFP_KERNEL).is_err() {
                            break;
                        }
                    }
                }
                let n = refs.len() as u64;
                let mut outcomes = [0u64; PUT_COUNTERS.len()];
                {
                    let mut guard = self.lock.lock();
                    *guard += 1;
                    for d in refs.drain_all() {
                        outcomes[put_index(put_attributed(list.as_mut(), d))] += 1;
                    }
                }
                registry::add(tag, Counter::WorkerPuts, n);
                for (i, c) in PUT_COUNTERS.iter().enumerate() {
                    registry::add(tag, *c, outcomes[i]);
                }
                match rng.below(16) {
                    0 => {
                        if let Some(d) = random_path(&root, shape, &mut rng) {
                            d.shrink_dcache_parent();
                        }
                    }
                    1 => {
                        if let Some(d) = random_path(&root, shape, &mut rng) {
                            d.d_invalidate();
                        }
                    }
                    _ => (),
                }
            }
            drop(pin);
            // Hold the non-empty list, unpinned: umount may steal it now.
            for _ in 0..1 + rng.below(4) {
                if self.stop.load(Acquire) {
                    break;
                }
                fsleep(Delta::from_millis(1));
            }
            // Once `->kill_sb()` began, half the time hold the list until the
            // teardown is over (umount steals its entries), half the time
            // shrink it at once, racing umount's walk (which may then find
            // an entry this worker is killing, and wait for it).
            if self.stop.load(Acquire) && rng.below(2) == 0 {
                while !self.torn_down.load(Acquire) {
                    fsleep(Delta::from_millis(1));
                }
            }
            let deferred = count_census(tag, &list).deferred;
            let gone = sb.is_gone();
            let kept = self.shrink(id, list.as_mut()) as u64;
            if deferred > 0 && (gone || sb.is_gone()) {
                // Deferred entries disposed of while umount ran or after it:
                // the exposure `kill_sb_in_shrink` is judged against.
                registry::count(tag, Counter::DeferredAfterUmount);
            }
            registry::add(tag, Counter::ShrinkKept, kept);
            registry::count(tag, Counter::WorkerBatches);
        }
    }
}

/// `list.put(d)`, with what it did for the attribution counters.  With the
/// kernel's `dput_to_list()`, `put()` does not tell an entry left on another
/// list from one kept or a count dropped ([`PutResult::Released`]): a dentry
/// seen on a shrink list just before its put, which the put did not list, is
/// counted as left to another list (`foreign-list`).  A snapshot, read
/// without `d_lock`: the other list's owner may have taken it off meanwhile.
fn put_attributed(list: Pin<&mut ShrinkList>, d: DentryRef<'_, RdcacheFs>) -> PutResult {
    let on_a_list = !scenario::HAS_DEFERRED_STEP && d.is_on_shrink_list();
    match list.put(d) {
        PutResult::Released if on_a_list => PutResult::OtherList,
        r => r,
    }
}

/// The counters of [`PutResult`]s, in [`put_index`] order.
const PUT_COUNTERS: [Counter; 7] = [
    Counter::PutDropped,
    Counter::PutCached,
    Counter::PutDeferred,
    Counter::PutListed,
    Counter::PutOtherList,
    Counter::PutRefused,
    Counter::PutReleased,
];

/// Where `r` is counted in [`PUT_COUNTERS`].
fn put_index(r: PutResult) -> usize {
    match r {
        PutResult::Dropped => 0,
        PutResult::Cached => 1,
        PutResult::Deferred => 2,
        PutResult::Listed => 3,
        PutResult::OtherList => 4,
        PutResult::Refused => 5,
        PutResult::Released => 6,
    }
}

/// The counter of a [`PutResult`].
pub(crate) fn put_counter(r: PutResult) -> Counter {
    PUT_COUNTERS[put_index(r)]
}

/// Counts what a census of `list` finds just before its `shrink()`: husks
/// (entries someone else killed) and entries in use again (a lookup found
/// them after their last reference was put).
pub(crate) fn count_census(tag: u32, list: &ShrinkList) -> Census {
    let c = list.census();
    if c.husks > 0 {
        registry::count(tag, Counter::HuskLists);
        registry::add(tag, Counter::Husks, c.husks as u64);
    }
    registry::add(tag, Counter::ShrinkInUse, c.in_use as u64);
    c
}

/// What a mount's workers are to do.
#[derive(Clone, Copy)]
pub(crate) struct Config {
    /// Random workers (ignored by a scenario, which runs its own).
    pub(crate) n: u32,
    pub(crate) shape: Shape,
    pub(crate) tag: u32,
    pub(crate) seed: u32,
    pub(crate) linger: u32,
    /// Non-zero: the [`scenario`] to force.
    pub(crate) scenario: u32,
}

impl Config {
    /// How many workers start.
    fn count(&self) -> u32 {
        if self.scenario > 0 {
            scenario::workers(self.scenario)
        } else {
            self.n
        }
    }
}

/// A counted reference to a random entry (a directory, or now and then a
/// file, or one time in eight a negative `drop-` name, which is never
/// cached), looked up from the root.
pub(crate) fn random_path<'p>(
    root: &DentryRef<'p, RdcacheFs>,
    shape: Shape,
    rng: &mut Rng,
) -> Option<DentryRef<'p, RdcacheFs>> {
    let mut d = root.clone();
    let levels = rng.below(u64::from(shape.depth) + 1);
    let mut name = [0u8; 16];
    for _ in 0..levels {
        if shape.fanout == 0 {
            break;
        }
        d = d
            .lookup(index_name(&mut name, b'd', rng.below(shape.fanout.into()))?)
            .ok()?;
    }
    if rng.below(8) == 0 {
        return d.lookup(drop_name(&mut name, rng.below(4))?).ok();
    }
    if shape.files > 0 && rng.below(2) == 0 {
        d = d
            .lookup(index_name(&mut name, b'f', rng.below(shape.files.into()))?)
            .ok()?;
    }
    Some(d)
}

/// `prefix` and `v` in decimal, NUL-terminated, in `buf`.
pub(crate) fn index_name(buf: &mut [u8; 16], prefix: u8, v: u64) -> Option<&CStr> {
    let mut w = super::shape::Cursor::new(&mut buf[..15]);
    core::fmt::write(&mut w, format_args!("{}{}", prefix as char, v)).ok()?;
    let len = w.len();
    buf[len] = 0;
    CStr::from_bytes_with_nul(&buf[..=len]).ok()
}

/// `drop-<v>`, NUL-terminated, in `buf`.
pub(crate) fn drop_name(buf: &mut [u8; 16], v: u64) -> Option<&CStr> {
    let mut w = super::shape::Cursor::new(&mut buf[..15]);
    core::fmt::write(&mut w, format_args!("drop-{v}")).ok()?;
    let len = w.len();
    buf[len] = 0;
    CStr::from_bytes_with_nul(&buf[..=len]).ok()
}

/// Runs `f` on the module's workqueue, which module exit destroys (waiting
/// for `f`).  `EBUSY` (logged) when [`super::MAX_LIVE_WORK`] items are live.
pub(crate) fn spawn(f: impl FnOnce() + Send + 'static) -> Result {
    QUEUE.try_spawn(f).inspect_err(|e| {
        if *e == EBUSY {
            pr_err!(
                "{} work items live module-wide already: not starting another\n",
                super::MAX_LIVE_WORK
            );
        }
    })
}
