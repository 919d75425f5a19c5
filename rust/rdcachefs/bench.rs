// SPDX-License-Identifier: GPL-2.0

//! In-module benchmarks, started through `/sys/kernel/debug/rdcache/bench`.
//!
//! One command per write; the file then reads back one result line, with
//! every variant's total time in nanoseconds.  Each benchmark times the Rust
//! layer against a peer doing the same work in the same run, so that the
//! ratio, not the emulated absolute time, is the figure (`make bench` takes
//! medians over repeated writes).
//!
//! * `put N`: `N` times, take a reference to one dentry and drop it again,
//!   each Rust way against the C loop doing the same work: a `DentryRef`
//!   clone and `ShrinkList::put` (never the last reference, so the list
//!   stays empty) against `dget()` + `lockref_put_or_lock()`; a clone and a
//!   `DentryRef` drop against `dput(dget())`.
//!   `put n=N rust_put_ns=.. c_put_ns=.. rust_dput_ns=.. c_dput_ns=..`
//! * `put-contended N K`: the same on `K` threads at once, all on one
//!   dentry, against the C loop of `dget()` + `lockref_put_or_lock()`; each
//!   figure is the mean over threads of one thread's time.
//!   `put-contended n=N threads=K rust_put_ns=.. c_put_ns=..`
//! * `dispose N`: dispose of `N` last references to unhashed files: `put`
//!   them all into one list, then one `shrink()`, against `N` `dput()`s
//!   from Rust and from a C loop.  Every variant kills and evicts all `N`.
//!   On a kernel that exports `dput_to_list()`, also against the C loop of
//!   `dput_to_list()` and one `shrink_dentry_list()` (`c_list_ns`).
//!   `dispose n=N rust_put_shrink_ns=.. rust_dput_ns=.. c_dput_ns=.. [c_list_ns=..]`
//! * `retain N`: the last references to `N` hashed files, which stay
//!   cached: `put` them all into one list and one `shrink()`, against `N`
//!   `dput()`s in a C loop; first for new files (`put` defers each, and
//!   `shrink()` hands it to `dput()`, which puts it on the LRU), then for
//!   the same files found again on the LRU (`put` marks each referenced).
//!   Every `put` must report the path named, and every file stay cached.
//!   With the export, also against its C loop, as for `dispose`.
//!   `retain n=N rust_new_ns=.. c_new_ns=.. rust_lru_ns=.. c_lru_ns=.. [c_new_list_ns=.. c_lru_list_ns=..]`
//! * `chain N`: a chain of `N` directories, killed from its leaf: one `put`
//!   and one `shrink()` (the dcache prunes each parent the kill leaves
//!   unused), against leaf-only shrinking that holds the parent so nothing
//!   is pruned and walks down from the root again for every leaf
//!   (quadratic).
//!   `chain n=N prune_ns=.. leaf_only_ns=..`
//! * `settle`: sleep 20 ms and wait for every RCU callback queued so far
//!   (`rcu_barrier()`), before a region that `bench.sh` times itself (an
//!   umount(2)).
//!   `settle`
//!
//! Limits: `put` N <= 10^7, `dispose` and `retain` N <= 10^6, `chain` N <= 16384, K in
//! 1..=16; anything else is `EINVAL` with a log line.  The benchmark runs in
//! the writer's context, which sleeps; `put-contended` runs its threads on
//! the module's workqueue and waits for them.

use super::{
    control::{read_command, COMMAND_MAX},
    workers, RdcacheFs, TYPE,
};
use crate::dcache::{peer, DentryRef, KernMount, PutResult, ShrinkList};
use core::{fmt, hint::spin_loop};
use kernel::{
    alloc::VVec,
    debugfs, new_mutex,
    prelude::*,
    str::CString,
    sync::{
        atomic::{Atomic, Relaxed},
        rcu::rcu_barrier,
        Arc, Mutex,
    },
    time::{delay::fsleep, Delta, Instant, Monotonic},
    uaccess::UserSliceReader,
};
use pin_init::stack_pin_init;

const MAX_PUT: u64 = 10_000_000;
const MAX_DISPOSE: u64 = 1_000_000;
const MAX_CHAIN: u64 = 16_384;
/// Half the module's live work items ([`super::MAX_LIVE_WORK`]), so that a round can
/// start while the last one's threads are still returning.
const MAX_THREADS: u64 = 16;

/// The `bench` file: the last result line.
#[pin_data]
pub(crate) struct Bench {
    #[pin]
    last: Mutex<Option<CString>>,
}

impl Bench {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            last <- new_mutex!(None, "rdcache_bench_last"),
        })
    }
}

impl debugfs::Writer for Bench {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.last.lock() {
            Some(line) => writeln!(f, "{}", line.to_str().unwrap_or("?")),
            None => writeln!(f, "no benchmark has run; write 'put N', 'put-contended N K', 'dispose N', 'retain N', 'chain N' or 'settle'"),
        }
    }
}

impl debugfs::Reader for Bench {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; COMMAND_MAX];
        let cmd = core::str::from_utf8(read_command("bench", reader, &mut buf)?).map_err(|_| {
            pr_err!("bench: command is not UTF-8\n");
            EINVAL
        })?;
        let mut words = cmd.split_ascii_whitespace();
        let name = words.next().unwrap_or("");
        let mut arg = |what: &str, max: u64| -> Result<u64> {
            let w = words.next().unwrap_or("");
            match w.parse::<u64>() {
                Ok(v) if (1..=max).contains(&v) => Ok(v),
                _ => {
                    pr_err!("bench: {name}: {what} '{w}' is not in 1..={max}\n");
                    Err(EINVAL)
                }
            }
        };
        let line = match name {
            "put" => put(arg("N", MAX_PUT)?)?,
            "put-contended" => {
                let n = arg("N", MAX_PUT)?;
                put_contended(n, arg("K", MAX_THREADS)? as u32)?
            }
            "dispose" => dispose(arg("N", MAX_DISPOSE)? as usize)?,
            "retain" => retain(arg("N", MAX_DISPOSE)? as usize)?,
            "chain" => chain(arg("N", MAX_CHAIN)? as u32)?,
            "settle" => {
                // Before a region timed elsewhere (bench.sh's umount(2)):
                // what earlier work queued runs now, not in it.
                fsleep(Delta::from_millis(20));
                rcu_barrier();
                CString::try_from_fmt(fmt!("settle"))?
            }
            _ => {
                pr_err!("bench: unknown benchmark '{name}'\n");
                return Err(EINVAL);
            }
        };
        if let Some(extra) = words.next() {
            pr_err!("bench: {name}: unexpected argument '{extra}'\n");
            return Err(EINVAL);
        }
        *self.last.lock() = Some(line);
        Ok(())
    }
}

/// Nanoseconds `f` took, after a sleep and an `rcu_barrier()` that let the
/// work the set-up and earlier regions left behind (RCU callbacks, deferred
/// frees, timers) run outside the timed region: under instruction counting
/// it would land in whichever region came first (measured: `put`'s first
/// region varied by 6% without the sleep; `dispose` of 10,000 by 1.5%
/// between runs without the barrier, its 20,000 frees landing in one
/// region or the next).
fn timed(f: impl FnOnce()) -> u64 {
    fsleep(Delta::from_millis(20));
    rcu_barrier();
    timed_now(f)
}

/// Nanoseconds `f` took, timed at once (threads released together).
fn timed_now(f: impl FnOnce()) -> u64 {
    let t = Instant::<Monotonic>::now();
    f();
    t.elapsed().as_nanos().max(0) as u64
}

fn put(n: u64) -> Result<CString> {
    let mnt = KernMount::new(&TYPE, None)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    let d = root.lookup(c"d0")?;
    stack_pin_init!(let list = ShrinkList::new());
    let rust_put = timed(|| {
        for _ in 0..n {
            list.as_mut().put(d.clone());
        }
    });
    let c_put = timed(|| peer::dget_put_or_lock_loop(&d, n));
    let rust_dput = timed(|| {
        for _ in 0..n {
            drop(d.clone());
        }
    });
    let c_dput = timed(|| peer::dget_dput_loop(&d, n));
    if !list.is_empty() {
        pr_err!("bench: put: a non-last reference reached the list\n");
        return Err(EIO);
    }
    CString::try_from_fmt(fmt!(
        "put n={n} rust_put_ns={rust_put} c_put_ns={c_put} rust_dput_ns={rust_dput} c_dput_ns={c_dput}"
    ))
}

/// The threads of one `put-contended` round.
struct Race {
    ready: Atomic<u32>,
    go: Atomic<bool>,
    done: Atomic<u32>,
    failed: Atomic<u32>,
    ns: Atomic<u64>,
}

impl Race {
    fn thread(&self, mnt: &KernMount<RdcacheFs>, n: u64, c_peer: bool) {
        let pin = mnt.sb().try_activate();
        let d = pin.as_ref().and_then(|p| p.root().lookup(c"d0").ok());
        self.ready.add(1, Relaxed);
        match &d {
            Some(d) => {
                while !self.go.load(Relaxed) {
                    spin_loop();
                }
                stack_pin_init!(let list = ShrinkList::new());
                let ns = if c_peer {
                    timed_now(|| peer::dget_put_or_lock_loop(d, n))
                } else {
                    timed_now(|| {
                        for _ in 0..n {
                            list.as_mut().put(d.clone());
                        }
                    })
                };
                self.ns.add(ns, Relaxed);
            }
            None => self.failed.add(1, Relaxed),
        }
        drop(d);
        drop(pin);
        self.done.add(1, Relaxed);
    }
}

/// Mean per-thread nanoseconds of `k` threads each doing `n` operations.
fn race(mnt: &Arc<KernMount<RdcacheFs>>, n: u64, k: u32, c_peer: bool) -> Result<u64> {
    let race = Arc::new(
        Race {
            ready: Atomic::new(0),
            go: Atomic::new(false),
            done: Atomic::new(0),
            failed: Atomic::new(0),
            ns: Atomic::new(0),
        },
        GFP_KERNEL,
    )?;
    let mut started = 0;
    for _ in 0..k {
        let (m, r) = (mnt.clone(), race.clone());
        if workers::spawn(move || r.thread(&m, n, c_peer)).is_err() {
            break;
        }
        started += 1;
    }
    // Every started thread gets its go and is waited for, even on failure.
    while race.ready.load(Relaxed) < started {
        fsleep(Delta::from_micros(100));
    }
    race.go.store(true, Relaxed);
    while race.done.load(Relaxed) < started {
        fsleep(Delta::from_millis(1));
    }
    if started < k || race.failed.load(Relaxed) > 0 {
        pr_err!(
            "bench: put-contended: {started} of {k} threads started, {} failed\n",
            race.failed.load(Relaxed)
        );
        return Err(ENOMEM);
    }
    // `checked_div`: no division-by-zero panic path for `k == 0` (which
    // objtool does not know as noreturn, and warns about).
    Ok(race.ns.load(Relaxed).checked_div(u64::from(k)).unwrap_or(0))
}

fn put_contended(n: u64, k: u32) -> Result<CString> {
    let mnt = Arc::new(KernMount::new(&TYPE, None)?, GFP_KERNEL)?;
    let rust_put = race(&mnt, n, k, false)?;
    let c_put = race(&mnt, n, k, true)?;
    CString::try_from_fmt(fmt!(
        "put-contended n={n} threads={k} rust_put_ns={rust_put} c_put_ns={c_put}"
    ))
}

/// `n` new files `b0`.. in `root`, unhashed, each with its only reference.
fn unhashed_files<'p>(
    root: &DentryRef<'p, RdcacheFs>,
    n: usize,
) -> Result<VVec<DentryRef<'p, RdcacheFs>>> {
    let mut refs = VVec::with_capacity(n, GFP_KERNEL)?;
    let mut name = [0u8; 16];
    for i in 0..n {
        let d = root.create_child(
            workers::index_name(&mut name, b'b', i as u64).ok_or(EINVAL)?,
            false,
        )?;
        // Unhashed, so that dput() kills it as put() + shrink() does.
        d.d_invalidate();
        refs.push(d, GFP_KERNEL)?;
    }
    Ok(refs)
}

/// Whether any file `b..` of `unhashed_files()` is still in the dcache
/// (`EBUSY` if the guard is refused).
fn files_left(root: &mut DentryRef<'_, RdcacheFs>) -> Result<bool> {
    let guard = root.lock_children().ok_or(EBUSY)?;
    let left = guard.iter().any(|c| c.name().first() == Some(&b'b'));
    Ok(left)
}

/// A reference to each of the `n` files `<prefix>0..` of `root`: created
/// (hashed, not on the LRU) or, with `again`, found again in the dcache.
fn hashed_files<'p>(
    root: &DentryRef<'p, RdcacheFs>,
    prefix: u8,
    n: usize,
    again: bool,
) -> Result<VVec<DentryRef<'p, RdcacheFs>>> {
    let mut refs = VVec::with_capacity(n, GFP_KERNEL)?;
    let mut name = [0u8; 16];
    for i in 0..n {
        let name = workers::index_name(&mut name, prefix, i as u64).ok_or(EINVAL)?;
        let d = if again {
            root.try_lookup(name)?.ok_or_else(|| {
                pr_err!("bench: retain: {name:?} was not kept cached\n");
                EIO
            })?
        } else {
            root.create_child(name, false)?
        };
        refs.push(d, GFP_KERNEL)?;
    }
    Ok(refs)
}

/// `put` every reference into one list and `shrink()` it; `EIO` unless
/// every `put` reported `want`.
fn put_all_and_shrink(refs: &mut VVec<DentryRef<'_, RdcacheFs>>, want: PutResult) -> Result<u64> {
    stack_pin_init!(let list = ShrinkList::new());
    let mut other = 0usize;
    let ns = timed(|| {
        for d in refs.drain_all() {
            if list.as_mut().put(d) != want {
                other += 1;
            }
        }
        list.as_mut().shrink();
    });
    if other != 0 {
        pr_err!("bench: retain: {other} puts were not {want:?}\n");
        return Err(EIO);
    }
    Ok(ns)
}

fn retain(n: usize) -> Result<CString> {
    let mnt = KernMount::new(&TYPE, None)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    // New files: with the kernel's `dput_to_list()`, `put` keeps each on the
    // LRU at once; with the fallback, it defers each and `shrink()` hands it
    // to `dput()`.
    let (kept_new, kept_lru) = if super::scenario::HAS_DEFERRED_STEP {
        (PutResult::Deferred, PutResult::Cached)
    } else {
        (PutResult::Released, PutResult::Released)
    };
    let rust_new = put_all_and_shrink(&mut hashed_files(&root, b'r', n, false)?, kept_new)?;
    let mut refs = hashed_files(&root, b'q', n, false)?;
    let batch = peer::DputBatch::new(&mut refs)?;
    let c_new = timed(|| batch.run());
    let c_new_list = c_list_peer(|| hashed_files(&root, b'p', n, false))?;
    // The same files, found again on the LRU: `put` marks each referenced.
    let rust_lru = put_all_and_shrink(&mut hashed_files(&root, b'r', n, true)?, kept_lru)?;
    let mut refs = hashed_files(&root, b'q', n, true)?;
    let batch = peer::DputBatch::new(&mut refs)?;
    let c_lru = timed(|| batch.run());
    let c_lru_list = c_list_peer(|| hashed_files(&root, b'p', n, true))?;
    // Kept cached, every way.
    drop(hashed_files(&root, b'r', n, true)?);
    drop(hashed_files(&root, b'q', n, true)?);
    if c_new_list.is_some() {
        drop(hashed_files(&root, b'p', n, true)?);
    }
    CString::try_from_fmt(fmt!(
        "retain n={n} rust_new_ns={rust_new} c_new_ns={c_new} rust_lru_ns={rust_lru} c_lru_ns={c_lru}{}{}",
        ListPeer("c_new_list_ns", c_new_list),
        ListPeer("c_lru_list_ns", c_lru_list)
    ))
}

/// The C peer of `put` + one `shrink()` (`dput_to_list()` + one
/// `shrink_dentry_list()`), timed over the references `refs()` makes; `None`
/// on a kernel that keeps `dput_to_list()` to `fs/` (there is no C peer to
/// run then, and `refs()` is not called).
#[cfg(rdc_dput_to_list)]
fn c_list_peer<'p>(
    refs: impl FnOnce() -> Result<VVec<DentryRef<'p, RdcacheFs>>>,
) -> Result<Option<u64>> {
    let batch = peer::DputBatch::new(&mut refs()?)?;
    Ok(Some(timed(|| batch.run_to_list())))
}

/// See above: the fallback's kernel has none.
#[cfg(not(rdc_dput_to_list))]
fn c_list_peer<'p>(
    _refs: impl FnOnce() -> Result<VVec<DentryRef<'p, RdcacheFs>>>,
) -> Result<Option<u64>> {
    Ok(None)
}

/// ` key=ns`, or nothing without a measurement.
struct ListPeer(&'static str, Option<u64>);

impl kernel::fmt::Display for ListPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(ns) => write!(f, " {}={ns}", self.0),
            None => Ok(()),
        }
    }
}

fn dispose(n: usize) -> Result<CString> {
    let mnt = KernMount::new(&TYPE, None)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let mut root = pin.root();
    stack_pin_init!(let list = ShrinkList::new());

    let mut refs = unhashed_files(&root, n)?;
    let put_shrink = timed(|| {
        for d in refs.drain_all() {
            list.as_mut().put(d);
        }
        list.as_mut().shrink();
    });
    let mut refs = unhashed_files(&root, n)?;
    let rust_dput = timed(|| {
        for d in refs.drain_all() {
            drop(d);
        }
    });
    let mut refs = unhashed_files(&root, n)?;
    let batch = peer::DputBatch::new(&mut refs)?;
    let c_dput = timed(|| batch.run());
    let c_list = c_list_peer(|| unhashed_files(&root, n))?;
    if files_left(&mut root)? {
        pr_err!("bench: dispose: some files survived their last reference\n");
        return Err(EIO);
    }
    CString::try_from_fmt(fmt!(
        "dispose n={n} rust_put_shrink_ns={put_shrink} rust_dput_ns={rust_dput} c_dput_ns={c_dput}{}",
        ListPeer("c_list_ns", c_list)
    ))
}

/// The directory `depth` levels down the chain, by cached lookups.
fn down<'p>(root: &DentryRef<'p, RdcacheFs>, depth: u32) -> Result<DentryRef<'p, RdcacheFs>> {
    let mut d = root.clone();
    for _ in 0..depth {
        d = d.lookup(c"d0")?;
    }
    Ok(d)
}

fn chain(n: u32) -> Result<CString> {
    let mut opts = [0u8; 48];
    let mut w = super::shape::Cursor::new(&mut opts[..47]);
    core::fmt::write(&mut w, format_args!("depth={n},fanout=1,files=0")).map_err(|_| EINVAL)?;
    let len = w.len();
    let opts = CStr::from_bytes_with_nul(&opts[..=len]).map_err(|_| EINVAL)?;
    let mnt = KernMount::new(&TYPE, Some(opts))?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    stack_pin_init!(let list = ShrinkList::new());

    // Pruning: the leaf's last reference, one shrink, the chain is gone.
    // Unhashed first, or `put` would keep it cached, as `dput()` would.
    let leaf = down(&root, n)?;
    leaf.d_invalidate();
    let prune = timed(|| {
        list.as_mut().put(leaf);
        list.as_mut().shrink();
    });
    let pruned = root.try_lookup(c"d0")?.is_none();

    // Leaf-only: hold the parent, kill the leaf, walk down again.
    drop(down(&root, n)?);
    let mut res = Ok(());
    let leaf_only = timed(|| {
        for depth in (1..=n).rev() {
            let parent = match down(&root, depth - 1) {
                Ok(p) => p,
                Err(e) => {
                    res = Err(e);
                    return;
                }
            };
            match parent.try_lookup(c"d0") {
                Ok(Some(leaf)) => {
                    leaf.d_invalidate();
                    list.as_mut().put(leaf);
                    list.as_mut().shrink();
                }
                _ => {
                    res = Err(EIO);
                    return;
                }
            }
        }
    });
    res?;
    if !pruned || root.try_lookup(c"d0")?.is_some() {
        pr_err!("bench: chain: the chain was not killed whole\n");
        return Err(EIO);
    }
    CString::try_from_fmt(fmt!(
        "chain n={n} prune_ns={prune} leaf_only_ns={leaf_only}"
    ))
}
