// SPDX-License-Identifier: GPL-2.0

//! An in-kernel fuzzer of the dcache layer's safe API (debugfs `apifuzz`).
//!
//! Each seed gives one sequence of safe calls, the same every time: mounts
//! of `rdcachefs` with a random shape and of a [`Foreign`] `ramfs`,
//! lookups, `create_child`, clones, parents, inodes, puts (some under a
//! spinlock) into shrink lists held across umounts, guards with
//! `move_to_list` and with calls the lock rule refuses, `shrink()`,
//! `census()`, `mark_dontcache`, `d_invalidate`, `shrink_dcache_parent`,
//! pins taken and dropped, [`WeakSuper`]s, pins and mounts handed to work
//! items, the umount itself in any order against the lists, and
//! `mem::forget()` of references and inodes.  It is safe code: what the
//! types forbid, it cannot express.
//!
//! Two oracles judge it:
//!
//! * **The kernel**, for soundness: the boot runs on the debug kernel
//!   (KASAN, lockdep, UBSAN, kmemleak, `DEBUG_ATOMIC_SLEEP`).  The only
//!   reports a sequence may cause are those its own leaks and misuses
//!   explain, and it says which before each umount (`apifuzz: umount ...
//!   expect busy ...`) and before each refused call (`apifuzz: expect
//!   refusal ...`); `scripts/selftests/apifuzz/apifuzz.sh` accepts exactly
//!   those, by name, count and superblock.
//! * **A twin tree**, for semantics: every `rdcachefs` mount has a twin
//!   with the same shape, on which every call is made too, except that a
//!   `put` there is C's own `dput()` (dropping the reference), with nothing
//!   deferred.  Whenever no list holds anything (a disposal has ended), the
//!   two trees must agree, for the root and every directory the sequence
//!   holds, on which children are cached, their counts, and (for unused
//!   ones) which are on the LRU and referenced; and each `put`'s verdict
//!   must match what `dput()` did to the twin's copy.  Where the trees
//!   differ by design until a shrink (a listed entry, or a parent a listed
//!   child keeps alive, stays findable; `shrink_dentry_list()` prunes
//!   ancestors that `dput()` caches; a listed entry's parent's REFERENCED
//!   history), the twin is brought into line exactly and the program says
//!   so (`docs/apifuzz.md`).
//!
//! Reading the file gives the last sequence as Rust-like lines, and the
//! coverage since the module was loaded: per operation, per pair of
//! operations on the same object, and per documented interleaving, with
//! what never ran named.
//!
//! Safe code only, like the rest of `rdcachefs`.

use super::{
    control::{read_command, COMMAND_MAX},
    registry,
    scenario::{HAS_DEFERRED_STEP, NOT_LAST},
    workers::{spawn, Rng},
    RdcacheFs, TYPE,
};
use crate::dcache::{
    ActiveSuper, Census, DentryRef, Foreign, Inode, InodeRef, KernMount, PutResult, ShrinkList,
    WeakSuper,
};
use core::cmp::Ordering;
use core::fmt::{self, Write};
use kernel::{
    debugfs, new_mutex, new_spinlock,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Release},
        rcu::rcu_barrier,
        Arc, Mutex,
    },
    time::{delay::fsleep, Delta},
    uaccess::UserSliceReader,
};
use pin_init::stack_pin_init;

/// The operations, as coverage counts them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Op {
    Mount,
    Lookup,
    TryLookup,
    CreateChild,
    Clone,
    Parent,
    Inode,
    Drop,
    Put,
    PutLocked,
    Shrink,
    Census,
    LockChildren,
    MoveToList,
    Refused,
    MarkDontcache,
    DInvalidate,
    ShrinkDcacheParent,
    Forget,
    InodeDrop,
    InodeForget,
    PinTake,
    PinDrop,
    PinToWorker,
    WeakActivate,
    WorkerPut,
    MountDrop,
    Umount,
    ForeignMount,
    ForeignRef,
    ListDrop,
}

const NOPS: usize = Op::ListDrop as usize + 1;

const OP_NAMES: [&str; NOPS] = [
    "mount",
    "lookup",
    "try_lookup",
    "create_child",
    "clone",
    "parent",
    "inode",
    "drop",
    "put",
    "put_under_spinlock",
    "shrink",
    "census",
    "lock_children",
    "move_to_list",
    "refused_under_guard",
    "mark_dontcache",
    "d_invalidate",
    "shrink_dcache_parent",
    "forget",
    "inode_drop",
    "inode_forget",
    "pin_take",
    "pin_drop",
    "pin_to_worker",
    "weak_try_activate",
    "worker_put_and_shrink",
    "mount_drop",
    "umount",
    "foreign_mount",
    "foreign_ref",
    "list_drop",
];

/// The interleavings the layer's docs name, which a run must reach.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Inter {
    PutThenUmount,
    LookupOfListed,
    GuardThenLookup,
    PutUnderSpinlock,
    ShrinkAfterUmount,
    DeferredFoundAgain,
    ForgetThenUmount,
    UmountInWorker,
    WeakAfterUmount,
    MoveThenShrink,
    PutOtherList,
    ForgetUmountShrink,
    InodeOutlivesDentry,
    TwoFilesystemsOneList,
    PrunedAncestor,
}

const NINTER: usize = Inter::PrunedAncestor as usize + 1;

const INTER_NAMES: [&str; NINTER] = [
    "put into a list, then umount",
    "lookup of a listed entry",
    "guard, then a lookup (refused)",
    "put under a spinlock",
    "shrink after umount",
    "deferred (with dput_to_list(): listed) entry found again before shrink",
    "forgotten reference, then umount",
    "umount in a work item",
    "WeakSuper after umount",
    "move_to_list, then shrink",
    "put of an entry another list holds",
    "forget, umount, then shrink (issue 22)",
    "inode reference outlives its dentry's",
    "one list, two filesystems",
    "ancestor pruned by shrink, cached by dput",
];

/// What the runs since the module was loaded exercised.
struct Coverage {
    seqs: u64,
    failed: u64,
    ops: [u64; NOPS],
    pairs: [[u32; NOPS]; NOPS],
    inter: [u64; NINTER],
    compares: u64,
}

impl Coverage {
    fn zeroed() -> Self {
        Self {
            seqs: 0,
            failed: 0,
            ops: [0; NOPS],
            pairs: [[0; NOPS]; NOPS],
            inter: [0; NINTER],
            compares: 0,
        }
    }

    fn add(&mut self, o: &Coverage) {
        self.seqs += o.seqs;
        self.failed += o.failed;
        self.compares += o.compares;
        for i in 0..NOPS {
            self.ops[i] += o.ops[i];
            for j in 0..NOPS {
                self.pairs[i][j] = self.pairs[i][j].saturating_add(o.pairs[i][j]);
            }
        }
        for i in 0..NINTER {
            self.inter[i] += o.inter[i];
        }
    }

    fn report(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.ops.iter().sum();
        let pairs = self.pairs.iter().flatten().filter(|&&n| n > 0).count();
        writeln!(
            f,
            "coverage: sequences={} failed={} operations={} twin_comparisons={} pairs_covered={}",
            self.seqs, self.failed, total, self.compares, pairs
        )?;
        for (i, n) in self.ops.iter().enumerate() {
            writeln!(f, "op {} {}", OP_NAMES[i], n)?;
        }
        for (i, n) in self.inter.iter().enumerate() {
            writeln!(f, "interleaving {}: {}", INTER_NAMES[i], n)?;
        }
        for (i, row) in self.pairs.iter().enumerate() {
            for (j, n) in row.iter().enumerate() {
                if *n > 0 {
                    writeln!(f, "pair {}>{} {}", OP_NAMES[i], OP_NAMES[j], n)?;
                }
            }
        }
        let mut none = true;
        for (i, n) in self.ops.iter().enumerate() {
            if *n == 0 {
                writeln!(f, "unexercised: op {}", OP_NAMES[i])?;
                none = false;
            }
        }
        for (i, n) in self.inter.iter().enumerate() {
            if *n == 0 {
                writeln!(f, "unexercised: interleaving {}", INTER_NAMES[i])?;
                none = false;
            }
        }
        if none {
            writeln!(f, "unexercised: none")?;
        }
        Ok(())
    }
}

/// A path below a mount's root, `/`-separated ("" for the root).
#[derive(Clone, Copy)]
struct Path {
    buf: [u8; 48],
    len: u8,
}

impl Path {
    const ROOT: Path = Path {
        buf: [0; 48],
        len: 0,
    };

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    fn child(&self, name: &[u8]) -> Option<Path> {
        let sep = usize::from(self.len > 0);
        let len = self.len as usize + sep + name.len();
        if len > self.buf.len() {
            return None;
        }
        let mut p = *self;
        if sep == 1 {
            p.buf[self.len as usize] = b'/';
        }
        p.buf[self.len as usize + sep..len].copy_from_slice(name);
        p.len = len as u8;
        Some(p)
    }

    fn parent(&self) -> Path {
        let b = self.bytes();
        let mut p = *self;
        p.len = b.iter().rposition(|&c| c == b'/').unwrap_or(0) as u8;
        p
    }

    /// The last component, as `%pd` prints it (`/` for the root).
    fn name(&self) -> &[u8] {
        let b = self.bytes();
        match b.iter().rposition(|&c| c == b'/') {
            Some(i) => &b[i + 1..],
            None if b.is_empty() => b"/",
            None => b,
        }
    }

    /// Whether `self` is a proper ancestor of `other`.
    fn is_ancestor_of(&self, other: &Path) -> bool {
        let (a, b) = (self.bytes(), other.bytes());
        if a.len() >= b.len() {
            return false;
        }
        a.is_empty() || (b.starts_with(a) && b[a.len()] == b'/')
    }
}

impl PartialEq for Path {
    /// The same path: the bytes up to `len` (what lies past it is stale).
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Path {}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("/");
        }
        f.write_str(core::str::from_utf8(self.bytes()).unwrap_or("?"))
    }
}

/// The sequence's program text, kept for the `apifuzz` file.
struct Program {
    text: KVec<u8>,
    truncated: bool,
    verbose: bool,
    /// Under a spinlock or a guard: append only within the capacity
    /// reserved before (see [`Program::reserve`]), never allocating.
    atomic: bool,
}

/// Longest program kept.
const PROGRAM_MAX: usize = 64 * 1024;

impl Write for Program {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let len = self.text.len() + s.len();
        if self.truncated || len > PROGRAM_MAX || (self.atomic && len > self.text.capacity()) {
            // Once a line is lost, nothing after it is kept: the program
            // printed is always a prefix of the sequence.
            self.truncated = true;
            return Ok(());
        }
        // Within the capacity this never allocates (the atomic case, where
        // GFP_NOWAIT would not sleep even if it did).
        let flags = if self.atomic { GFP_NOWAIT } else { GFP_KERNEL };
        self.text
            .extend_from_slice(s.as_bytes(), flags)
            .map_err(|_| fmt::Error)
    }
}

impl Program {
    fn new(verbose: bool) -> Self {
        Self {
            text: KVec::new(),
            truncated: false,
            verbose,
            atomic: false,
        }
    }

    /// Room for what a guarded section writes, reserved while we may sleep.
    fn reserve(&mut self) {
        let _ = self.text.reserve(4096, GFP_KERNEL);
    }

    fn line(&mut self, args: fmt::Arguments<'_>) {
        if self.verbose {
            pr_info!("apifuzz: | {}\n", args);
        }
        let _ = self.write_fmt(args);
        let _ = self.write_str("\n");
    }
}

/// One dentry held in both trees: the layer's (`a`) and the twin's (`b`).
struct Ent<'p> {
    id: u32,
    path: Path,
    a: DentryRef<'p, RdcacheFs>,
    b: DentryRef<'p, RdcacheFs>,
}

/// One inode held in both trees.
struct IEnt<'p> {
    id: u32,
    path: Path,
    _a: InodeRef<'p, RdcacheFs>,
    _b: InodeRef<'p, RdcacheFs>,
}

/// A leaked dentry, by identity: umount reports it if nothing leaked
/// lies below it.
struct Leaked {
    ptr: usize,
    name: [u8; 16],
    nlen: usize,
    ino: u64,
    count: u32,
    root: bool,
    ancestors: KVec<usize>,
}

/// What a leak of one dentry keeps: itself, its ancestors, their inodes.
/// Read while the caller may sleep (`parent()`), before the leak.
struct LeakInfo {
    ptr: usize,
    name: [u8; 16],
    nlen: usize,
    ino: u64,
    root: bool,
    ancestors: KVec<usize>,
    /// Each inode kept busy, and whether rdcachefs counts it ([`Counted`]).
    inodes: KVec<(usize, bool)>,
}

/// Whether `rdcachefs`'s counters count an inode of this brand: one its
/// `inode_data()` gave data (made for a node of its shape, not by
/// `create_child()`); never a foreign one.
trait Counted: Sized {
    fn counted(i: &Inode<Self>) -> bool;
}

impl Counted for RdcacheFs {
    fn counted(i: &Inode<Self>) -> bool {
        i.data().is_some()
    }
}

impl Counted for Foreign {
    fn counted(_: &Inode<Self>) -> bool {
        false
    }
}

/// [`LeakInfo`] of `d`.  Reads only: `parent()` and `inode()` take and
/// drop references that are never the last (a child holds its parent, a
/// dentry its inode), so no dentry's state changes.
fn leak_info<T: Counted>(d: &DentryRef<'_, T>) -> Result<LeakInfo> {
    let n = d.name()?;
    let mut info = LeakInfo {
        ptr: d.as_raw() as usize,
        name: [0; 16],
        nlen: n.as_bytes().len().min(16),
        ino: 0,
        root: false,
        ancestors: KVec::new(),
        inodes: KVec::new(),
    };
    info.name[..info.nlen].copy_from_slice(&n.as_bytes()[..info.nlen]);
    if let Some(i) = d.inode() {
        info.ino = i.ino();
        info.inodes
            .push((i.as_raw() as usize, T::counted(&i)), GFP_KERNEL)?;
    }
    let mut cur = d.parent()?;
    info.root = cur.as_raw() == d.as_raw();
    while !info.root {
        info.ancestors.push(cur.as_raw() as usize, GFP_KERNEL)?;
        if let Some(i) = cur.inode() {
            info.inodes
                .push((i.as_raw() as usize, T::counted(&i)), GFP_KERNEL)?;
        }
        let next = cur.parent()?;
        if next.as_raw() == cur.as_raw() {
            break;
        }
        cur = next;
    }
    Ok(info)
}

/// References leaked into one superblock, for the reports its umount gives.
#[derive(Default)]
struct Leaks {
    dentries: KVec<Leaked>,
    /// The inodes the leaks keep busy (each once), and whether rdcachefs's
    /// balance counts each.
    inodes: KVec<(usize, bool)>,
}

impl Leaks {
    fn inode(&mut self, inode: (usize, bool)) {
        if !self.inodes.iter().any(|i| i.0 == inode.0) {
            let _ = self.inodes.push(inode, GFP_KERNEL);
        }
    }

    fn dentry(&mut self, info: &LeakInfo) {
        for &i in info.inodes.iter() {
            self.inode(i);
        }
        if let Some(e) = self.dentries.iter_mut().find(|e| e.ptr == info.ptr) {
            e.count += 1;
            return;
        }
        let mut ancestors = KVec::new();
        let _ = ancestors.extend_from_slice(&info.ancestors, GFP_KERNEL);
        let _ = self.dentries.push(
            Leaked {
                ptr: info.ptr,
                name: info.name,
                nlen: info.nlen,
                ino: info.ino,
                count: 1,
                root: info.root,
                ancestors,
            },
            GFP_KERNEL,
        );
    }

    fn any(&self) -> bool {
        !self.dentries.is_empty() || !self.inodes.is_empty()
    }

    /// The expectation line: the leaked dentries with no leaked descendant
    /// (`umount_check()` reports only those: the others still have
    /// children), as `name:ino(count)` with the inode number in hex as
    /// `umount_check()` prints it (0 for a negative dentry), the root's own
    /// reference added to its count; and how many inodes stay busy.
    fn expect(&self, fs: &str, tag: u32) {
        let mut line = Program::new(false);
        for d in self.dentries.iter() {
            if self.dentries.iter().any(|e| e.ancestors.contains(&d.ptr)) {
                continue;
            }
            let _ = write!(
                line,
                " {}:{:x}({})",
                core::str::from_utf8(&d.name[..d.nlen]).unwrap_or("?"),
                d.ino,
                d.count + u32::from(d.root)
            );
        }
        pr_info!(
            "apifuzz: umount #{tag} {fs} begins: expect busy{}; busy inodes {}, counted {}\n",
            core::str::from_utf8(&line.text).unwrap_or("?"),
            self.inodes.len(),
            self.inodes.iter().filter(|i| i.1).count()
        );
    }
}

/// How many lists a sequence uses (the twin has as many).
const NLISTS: usize = 2;
/// Most dentries held at once in each tree.
const POOL_MAX: usize = 24;
/// Most children a directory of a fuzzed shape has (the shape's, plus the
/// names the fuzzer looks up or creates); snapshots reserve this much.
const CHILDREN_MAX: usize = 40;
/// Most leaks (forgotten or refused references) per sequence, so that the
/// umount reports stay readable.
const LEAKS_MAX: u32 = 4;

/// The state of a child, read under its parent's `d_lock`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct ChildState {
    name: [u8; 16],
    len: u8,
    count: i32,
    lru: bool,
    shrink: bool,
    referenced: bool,
    unhashed: bool,
}

impl ChildState {
    fn name(&self) -> &[u8] {
        &self.name[..self.len as usize]
    }
}

impl fmt::Display for ChildState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}(count={}{}{}{}{})",
            core::str::from_utf8(self.name()).unwrap_or("?"),
            self.count,
            if self.lru { " lru" } else { "" },
            if self.shrink { " shrink-list" } else { "" },
            if self.referenced { " referenced" } else { "" },
            if self.unhashed { " unhashed" } else { "" }
        )
    }
}

/// The children of `dir`, under its guard, sorted by name.  `EBUSY` if the
/// guard cannot be had (it always can here: no guard is held).
fn snapshot(dir: &mut DentryRef<'_, RdcacheFs>) -> Result<KVec<ChildState>> {
    let mut out = KVec::with_capacity(CHILDREN_MAX, GFP_KERNEL)?;
    {
        let guard = dir.lock_children().ok_or(EBUSY)?;
        for c in guard.iter() {
            let d = c.dentry();
            let n = c.name();
            let mut s = ChildState {
                name: [0; 16],
                len: n.len().min(16) as u8,
                count: d.count(),
                lru: d.is_on_lru() && !d.is_on_shrink_list(),
                shrink: d.is_on_shrink_list(),
                referenced: d.is_referenced(),
                unhashed: d.is_unhashed(),
            };
            s.name[..s.len as usize].copy_from_slice(&n[..s.len as usize]);
            // No allocation under the guard: the capacity is there.
            if out.push_within_capacity(s).is_err() {
                return Err(E2BIG);
            }
        }
    }
    // Same-name children (an unhashed one a lookup replaced) pair up by
    // hashedness, then count: never by the order d_children happens to have.
    // An insertion sort of at most CHILDREN_MAX entries, not core's
    // sort_unstable_by(): under rustc 1.85 (Debian 12's rustc-web) its
    // small-sort falls through to the next function as 7.3's objtool reads
    // it, and objtool's warnings fail the build here.
    for i in 1..out.len() {
        let mut j = i;
        while j > 0 && child_order(&out[j - 1], &out[j]) == Ordering::Greater {
            out.swap(j - 1, j);
            j -= 1;
        }
    }
    Ok(out)
}

/// The order of `snapshot()`: name, then hashed before unhashed, then count.
fn child_order(x: &ChildState, y: &ChildState) -> Ordering {
    (x.name(), x.unhashed, x.count).cmp(&(y.name(), y.unhashed, y.count))
}

/// One sequence's state outside the mounts: what outlives them.
struct Seq {
    rng: Rng,
    prog: Program,
    cov: KBox<Coverage>,
    lists_a: [Pin<KBox<ShrinkList>>; NLISTS],
    lists_b: [Pin<KBox<ShrinkList>>; NLISTS],
    /// Per layer list: the paths put into it to be killed (`Listed`) or
    /// moved into it, of the current epoch: their ancestors may be pruned.
    kill_paths: [KVec<Path>; NLISTS],
    /// Paths marked `DCACHE_DONTCACHE` this epoch (`mark_dontcache()`).
    dontcache: KVec<Path>,
    /// Parents of entries put `Listed` this epoch.  A listed child holds
    /// its parent's count until the shrink, where `dput()` let it fall at
    /// once: the parent's LRU history differs (`dput()` put it on the LRU
    /// earlier, so a later last `dput()` marks it referenced), by design of
    /// any `dput_to_list()`, C's own included.  For these only, a
    /// difference in `DCACHE_REFERENCED` alone is not a failure.
    lazy_ref: KVec<Path>,
    /// Per list: which superblock epochs' entries it may hold.
    list_epochs: [u32; NLISTS],
    /// Per list: the last operation on it (for pair coverage).
    list_last: [Option<Op>; NLISTS],
    /// The last operation per path of the current epoch.
    last_op: KVec<(Path, Op)>,
    /// References leaked so far (both trees count).
    leaks: u32,
    next_id: u32,
    epoch: u32,
    failures: u32,
    /// Weak handles of superblocks unmounted, to be checked gone.
    gone: KVec<WeakSuper<RdcacheFs>>,
    /// Entries put or moved into a list this epoch: lookups favour them,
    /// to find listed and deferred entries again.
    recent: KVec<Path>,
}

/// Takes element `i` out of `v`, the last one moving into its place.
fn swap_take<T>(v: &mut KVec<T>, i: usize) -> Option<T> {
    let last = v.len().checked_sub(1)?;
    v.swap(i.min(last), last);
    v.pop()
}

fn pick(rng: &mut Rng, n: usize) -> usize {
    // `checked_rem`: no division-by-zero panic path (objtool does not know
    // rustc's panic functions for it as noreturn, and warns).
    rng.next().checked_rem(n as u64).unwrap_or(0) as usize
}

impl Seq {
    fn chance(&mut self, one_in: u64) -> bool {
        self.rng.next() % one_in == 0
    }

    fn op(&mut self, op: Op) {
        self.cov.ops[op as usize] += 1;
    }

    fn op_on(&mut self, op: Op, path: Path) {
        self.op(op);
        if let Some(e) = self.last_op.iter_mut().find(|(p, _)| *p == path) {
            self.cov.pairs[e.1 as usize][op as usize] =
                self.cov.pairs[e.1 as usize][op as usize].saturating_add(1);
            e.1 = op;
        } else {
            let _ = self.last_op.push((path, op), GFP_KERNEL);
        }
    }

    fn op_on_list(&mut self, op: Op, i: usize) {
        if let Some(prev) = self.list_last[i] {
            self.cov.pairs[prev as usize][op as usize] =
                self.cov.pairs[prev as usize][op as usize].saturating_add(1);
        }
        self.list_last[i] = Some(op);
    }

    fn inter(&mut self, i: Inter) {
        self.cov.inter[i as usize] += 1;
    }

    fn fail(&mut self, what: fmt::Arguments<'_>) {
        pr_err!("apifuzz: FAILED: {}\n", what);
        self.prog.line(format_args!("// FAILED: {what}"));
        self.failures += 1;
    }

    fn lists_empty(&self) -> bool {
        self.lists_a.iter().all(|l| l.is_empty()) && self.lists_b.iter().all(|l| l.is_empty())
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn census_check(&mut self, i: usize) -> Census {
        let c = self.lists_a[i].census();
        if c.husks + c.in_use > c.entries || c.deferred > c.entries {
            self.fail(format_args!(
                "census of lists[{i}] inconsistent: entries={} husks={} in_use={} deferred={}",
                c.entries, c.husks, c.in_use, c.deferred
            ));
        }
        c
    }

    /// Counts the interleavings a disposal of list `i` (a shrink or the
    /// list's drop) completes, from its census before.
    fn note_dispose(&mut self, i: usize) -> Census {
        let c = self.census_check(i);
        // Entries found again before the disposal: deferred ones with the
        // fallback (issue 22's were), listed ones with `dput_to_list()`
        // (nothing is deferred there).
        let found_again = if HAS_DEFERRED_STEP {
            c.deferred_in_use
        } else {
            c.in_use
        };
        if c.entries > 0 && self.list_epochs[i] != 0 && self.list_epochs[i] < self.epoch {
            self.inter(Inter::ShrinkAfterUmount);
            if found_again > 0 {
                self.inter(Inter::ForgetUmountShrink);
            }
        }
        if found_again > 0 {
            self.inter(Inter::DeferredFoundAgain);
        }
        c
    }

    /// Shrinks list `i` of both trees; returns the paths put into it to be
    /// killed this epoch, whose ancestors the shrink may have pruned.
    fn shrink(&mut self, i: usize) -> KVec<Path> {
        self.op(Op::Shrink);
        self.op_on_list(Op::Shrink, i);
        let c = self.note_dispose(i);
        let kept = self.lists_a[i].as_mut().shrink_kept();
        self.lists_b[i].as_mut().shrink();
        self.prog.line(format_args!(
            "lists[{i}].shrink() -> {kept}; // census before: entries={} husks={} in_use={} deferred={}",
            c.entries, c.husks, c.in_use, c.deferred
        ));
        if !self.lists_a[i].is_empty() {
            self.fail(format_args!("lists[{i}] not empty after shrink()"));
        }
        self.list_epochs[i] = 0;
        core::mem::take(&mut self.kill_paths[i])
    }
}

/// Waits for the work items counted in `pending` (at most ten seconds,
/// then fails the sequence: a worker that never returns is a bug).
fn join(seq: &mut Seq, pending: &Atomic<u32>) {
    for _ in 0..10_000 {
        if pending.load(Acquire) == 0 {
            return;
        }
        fsleep(Delta::from_millis(1));
    }
    seq.fail(format_args!("a work item did not return within 10 s"));
}

/// What keeps a superblock up at the end of an epoch.
enum Holder {
    Mount(#[allow(dead_code)] KernMount<RdcacheFs>),
    Pin(#[allow(dead_code)] ActiveSuper<RdcacheFs>),
}

/// One world: an `rdcachefs` mount and its twin, and what holds them up.
struct Mounts {
    mnt: Option<(KernMount<RdcacheFs>, KernMount<RdcacheFs>)>,
    pins: KVec<(ActiveSuper<RdcacheFs>, ActiveSuper<RdcacheFs>)>,
    weak: (WeakSuper<RdcacheFs>, WeakSuper<RdcacheFs>),
    tags: (u32, u32),
    leaks: (Leaks, Leaks),
}

/// Runs one sequence of `nops` operations from `seed`.
fn sequence(
    seed: u64,
    nops: u32,
    verbose: bool,
    cov: KBox<Coverage>,
) -> (Program, KBox<Coverage>, u32) {
    let mut prog = Program::new(verbose);
    let lists = (|| -> Result<_> {
        Ok((
            [
                KBox::pin_init(ShrinkList::new(), GFP_KERNEL)?,
                KBox::pin_init(ShrinkList::new(), GFP_KERNEL)?,
            ],
            [
                KBox::pin_init(ShrinkList::new(), GFP_KERNEL)?,
                KBox::pin_init(ShrinkList::new(), GFP_KERNEL)?,
            ],
        ))
    })();
    let Ok((lists_a, lists_b)) = lists else {
        prog.line(format_args!("// no memory for the lists"));
        return (prog, cov, 1);
    };
    let mut seq = Seq {
        rng: Rng::new(seed),
        prog,
        cov,
        lists_a,
        lists_b,
        kill_paths: [KVec::new(), KVec::new()],
        dontcache: KVec::new(),
        lazy_ref: KVec::new(),
        list_epochs: [0; NLISTS],
        list_last: [None; NLISTS],
        last_op: KVec::new(),
        leaks: 0,
        next_id: 0,
        epoch: 0,
        failures: 0,
        gone: KVec::new(),
        recent: KVec::new(),
    };
    seq.prog.line(format_args!(
        "// apifuzz seed {seed}: {nops} operations; every line runs on the layer's tree and its twin"
    ));
    seq.prog.line(format_args!(
        "let mut lists = [ShrinkList::new(); {NLISTS}]; // KBox::pin_init"
    ));
    let mut left = nops;
    while left > 0 && seq.failures == 0 {
        seq.epoch += 1;
        let n = (1 + pick(&mut seq.rng, left as usize)).min(left as usize) as u32;
        left -= n;
        if let Err(e) = epoch(&mut seq, n) {
            seq.prog.line(format_args!("// epoch ended early: {e:?}"));
            if e != ENOSPC && e != EBUSY {
                let n = seq.epoch;
                seq.fail(format_args!("epoch {n}: {e:?}"));
            }
        }
    }
    // The lists outlived every mount: shrink them, or let them drop.
    for i in 0..NLISTS {
        if seq.chance(2) {
            seq.shrink(i);
        } else if !seq.lists_a[i].is_empty() {
            seq.note_dispose(i);
            seq.op(Op::ListDrop);
            seq.prog.line(format_args!("drop(lists[{i}]);"));
        }
    }
    for w in core::mem::take(&mut seq.gone).iter() {
        seq.op(Op::WeakActivate);
        seq.inter(Inter::WeakAfterUmount);
        if !w.is_gone() || w.try_activate().is_some() {
            seq.fail(format_args!(
                "a WeakSuper of an unmounted superblock pinned it"
            ));
        }
    }
    let Seq {
        prog,
        mut cov,
        failures,
        ..
    } = seq;
    cov.seqs += 1;
    cov.failed += u64::from(failures > 0);
    (prog, cov, failures)
}

/// The name a lookup or creation uses: the shape's, a negative one, one
/// `->d_delete()` kills, a created one, or one too long.
fn random_name(rng: &mut Rng, buf: &mut [u8; 300]) -> usize {
    let k = rng.next() % 3;
    let s: &[u8] = match rng.next() % 12 {
        0..=3 => [b"d0".as_slice(), b"d1", b"d2"][k as usize],
        4..=6 => [b"f0".as_slice(), b"f1", b"f2"][k as usize],
        7 => [b"x0".as_slice(), b"x1", b"x0"][k as usize],
        8 => [b"drop-0".as_slice(), b"drop-1", b"drop-0"][k as usize],
        9 | 10 => [b"n0".as_slice(), b"n1", b"n0"][k as usize],
        _ => {
            buf[..256].fill(b'l');
            buf[256] = 0;
            return 256;
        }
    };
    buf[..s.len()].copy_from_slice(s);
    buf[s.len()] = 0;
    s.len()
}

/// The shapes' options: small, so that names hit.
fn random_options(rng: &mut Rng, buf: &mut [u8; 48]) -> usize {
    let (d, f, n) = (1 + rng.next() % 3, 1 + rng.next() % 3, rng.next() % 3);
    let mut w = super::shape::Cursor::new(&mut buf[..47]);
    let _ = write!(w, "depth={d},fanout={f},files={n}");
    let len = w.len();
    buf[len] = 0;
    len
}

/// One epoch: a twin pair of mounts (and maybe a `ramfs`), `nops`
/// operations on them, then every reference dropped or leaked and the
/// mounts and pins dropped in a random order.  The lists are the
/// sequence's and outlive the epoch.
fn epoch(seq: &mut Seq, nops: u32) -> Result {
    let mut obuf = [0u8; 48];
    let olen = random_options(&mut seq.rng, &mut obuf);
    let opts = CStr::from_bytes_with_nul(&obuf[..=olen]).map_err(|_| EINVAL)?;
    seq.op(Op::Mount);
    let ma = KernMount::<RdcacheFs>::new(&TYPE, Some(opts))?;
    let ta = registry::last_live().unwrap_or(0);
    let mb = KernMount::<RdcacheFs>::new(&TYPE, Some(opts))?;
    let tb = registry::last_live().unwrap_or(0);
    let anchor_a = ma.sb().try_activate().ok_or(EINVAL)?;
    let anchor_b = mb.sb().try_activate().ok_or(EINVAL)?;
    seq.prog.line(format_args!(
        "let mnt = KernMount::<RdcacheFs>::new(&TYPE, Some(c\"{}\"))?; // #{ta}, twin #{tb}",
        opts.to_str().unwrap_or("?")
    ));
    seq.prog.line(format_args!(
        "let anchor = mnt.sb().try_activate().unwrap();"
    ));
    let mut m = Mounts {
        mnt: Some((ma, mb)),
        pins: KVec::new(),
        weak: (anchor_a.weak(), anchor_b.weak()),
        tags: (ta, tb),
        leaks: (Leaks::default(), Leaks::default()),
    };
    // A foreign mount, some of the time: its references go into the same lists.
    let foreign = if seq.chance(2) {
        seq.op(Op::ForeignMount);
        match KernMount::<Foreign>::foreign(c"ramfs", None) {
            Ok(f) => {
                seq.prog.line(format_args!(
                    "let fmnt = KernMount::foreign(c\"ramfs\", None)?;"
                ));
                Some(f)
            }
            Err(e) => {
                seq.prog.line(format_args!("// ramfs: {e:?}"));
                None
            }
        }
    } else {
        None
    };
    let fpin = foreign.as_ref().and_then(|f| f.sb().try_activate());
    let mut fleaks = Leaks::default();
    seq.last_op.clear();
    seq.recent.clear();
    {
        let mut pool: KVec<Ent<'_>> = KVec::with_capacity(POOL_MAX, GFP_KERNEL)?;
        // The roots, held by the epoch itself (never dropped or leaked by
        // an operation): where reconcile_prunes() walks down from.
        let mut root = Ent {
            id: 0,
            path: Path::ROOT,
            a: anchor_a.root(),
            b: anchor_b.root(),
        };
        let mut ipool: KVec<IEnt<'_>> = KVec::new();
        let mut fpool: KVec<DentryRef<'_, Foreign>> = KVec::new();
        let id = seq.id();
        pool.push(
            Ent {
                id,
                path: Path::ROOT,
                a: anchor_a.root(),
                b: anchor_b.root(),
            },
            GFP_KERNEL,
        )?;
        seq.prog.line(format_args!("let e{id} = anchor.root();"));
        for _ in 0..nops {
            if seq.failures > 0 {
                break;
            }
            step(
                seq,
                &mut m,
                &mut root,
                &mut pool,
                &mut ipool,
                fpin.as_ref(),
                &mut fpool,
                &mut fleaks,
            )?;
        }
        // The last operations' effect, compared before anything goes.
        compare(seq, &mut pool, &mut root);
        // Everything held goes, in a random order; some of it leaked.
        while !pool.is_empty() {
            let k = pick(&mut seq.rng, pool.len());
            let Some(e) = swap_take(&mut pool, k) else {
                break;
            };
            // An entry a list holds, leaked across the umount, is issue
            // 22's shape: favour it.
            let odds = if e.a.is_on_shrink_list() { 1 } else { 10 };
            if seq.leaks < LEAKS_MAX && seq.chance(odds) {
                forget(seq, &mut m, e);
            } else {
                seq.op_on(Op::Drop, e.path);
                seq.prog
                    .line(format_args!("drop(e{}); // {}", e.id, e.path));
            }
        }
        while !ipool.is_empty() {
            let k = pick(&mut seq.rng, ipool.len());
            let Some(e) = swap_take(&mut ipool, k) else {
                break;
            };
            if seq.leaks < LEAKS_MAX && seq.chance(8) {
                seq.leaks += 1;
                seq.op(Op::InodeForget);
                m.leaks
                    .0
                    .inode((e._a.as_raw() as usize, RdcacheFs::counted(&e._a)));
                m.leaks
                    .1
                    .inode((e._b.as_raw() as usize, RdcacheFs::counted(&e._b)));
                seq.prog.line(format_args!(
                    "core::mem::forget(i{}); // inode of {}",
                    e.id, e.path
                ));
                core::mem::forget(e);
            } else {
                seq.op(Op::InodeDrop);
                seq.prog.line(format_args!("drop(i{});", e.id));
            }
        }
        while let Some(r) = fpool.pop() {
            if seq.leaks < LEAKS_MAX && seq.chance(8) {
                let Ok(info) = leak_info(&r) else {
                    seq.fail(format_args!(
                        "could not read what a leak of the ramfs root keeps"
                    ));
                    continue;
                };
                seq.leaks += 1;
                fleaks.dentry(&info);
                seq.op(Op::Forget);
                seq.prog
                    .line(format_args!("core::mem::forget(fref); // ramfs /"));
                core::mem::forget(r);
            } else {
                seq.prog.line(format_args!("drop(fref);"));
            }
        }
    }
    if seq.lists_a.iter().any(|l| !l.is_empty()) {
        seq.inter(Inter::PutThenUmount);
    }
    if m.leaks.0.any() {
        seq.inter(Inter::ForgetThenUmount);
    }
    for i in 0..NLISTS {
        if !seq.lists_a[i].is_empty() && seq.list_epochs[i] == 0 {
            seq.list_epochs[i] = seq.epoch;
        }
        seq.kill_paths[i].clear();
    }
    seq.dontcache.clear();
    seq.lazy_ref.clear();
    // The foreign mount goes first or last.
    let mut foreign = Some((foreign, fpin));
    if seq.chance(2) {
        umount_foreign(seq, foreign.take(), &fleaks);
    }
    // The holders of each superblock go in a random order: the mount (if
    // still there), the anchor, the free pins; the last one is the umount,
    // sometimes in a work item.  The twin's holders go with the layer's,
    // each just after it.
    let mut holders: KVec<u8> = KVec::new();
    if m.mnt.is_some() {
        holders.push(0, GFP_KERNEL)?;
    }
    holders.push(1, GFP_KERNEL)?;
    for _ in 0..m.pins.len() {
        holders.push(2, GFP_KERNEL)?;
    }
    let mut anchors = Some((anchor_a, anchor_b));
    while !holders.is_empty() {
        let k = pick(&mut seq.rng, holders.len());
        let Some(h) = swap_take(&mut holders, k) else {
            break;
        };
        let last = holders.is_empty();
        let (name, (a, b)): (&str, (Holder, Holder)) = match h {
            0 => {
                let (a, b) = m.mnt.take().ok_or(EINVAL)?;
                ("mnt", (Holder::Mount(a), Holder::Mount(b)))
            }
            1 => {
                let (a, b) = anchors.take().ok_or(EINVAL)?;
                ("anchor", (Holder::Pin(a), Holder::Pin(b)))
            }
            _ => {
                let (a, b) = m.pins.pop().ok_or(EINVAL)?;
                ("pin", (Holder::Pin(a), Holder::Pin(b)))
            }
        };
        if !last {
            seq.op(if h == 0 { Op::MountDrop } else { Op::PinDrop });
            seq.prog.line(format_args!("drop({name});"));
            drop(a);
            drop(b);
            continue;
        }
        seq.op(Op::Umount);
        m.leaks.0.expect("rdcachefs", m.tags.0);
        if seq.chance(3) {
            seq.inter(Inter::UmountInWorker);
            seq.prog.line(format_args!(
                "spawn(move || drop({name})); // the umount, in a work item"
            ));
            let pending = Arc::new(Atomic::new(1u32), GFP_KERNEL)?;
            let p = pending.clone();
            let mut a = Some(a);
            let spawned = spawn(move || {
                drop(a.take());
                p.store(0, Release);
            });
            if spawned.is_ok() {
                join(seq, &pending);
            } else {
                seq.prog.line(format_args!("// spawn failed: dropped here"));
            }
        } else {
            seq.prog.line(format_args!("drop({name}); // the umount"));
            drop(a);
        }
        pr_info!("apifuzz: umount #{} ends\n", m.tags.0);
        m.leaks.1.expect("rdcachefs", m.tags.1);
        drop(b);
        pr_info!("apifuzz: umount #{} ends\n", m.tags.1);
    }
    if let Some(f) = foreign.take() {
        umount_foreign(seq, Some(f), &fleaks);
    }
    // Lists that outlive the umount: let the superblocks' memory go
    // (`destroy_super_rcu()`, then a work item), so that a later shrink()
    // that read it would be a KASAN report, not a lucky read.
    if seq.lists_a.iter().any(|l| !l.is_empty()) {
        rcu_barrier();
        fsleep(Delta::from_millis(30));
    }
    for w in [m.weak.0.clone(), m.weak.1.clone()] {
        let _ = seq.gone.push(w, GFP_KERNEL);
    }
    Ok(())
}

/// A `ramfs` mount and its pin, either maybe gone.
type ForeignMount = (Option<KernMount<Foreign>>, Option<ActiveSuper<Foreign>>);

fn umount_foreign(seq: &mut Seq, f: Option<ForeignMount>, leaks: &Leaks) {
    let Some((mnt, pin)) = f else { return };
    if mnt.is_none() {
        return;
    }
    leaks.expect("ramfs", 0);
    seq.prog
        .line(format_args!("drop(fpin); drop(fmnt); // ramfs umount"));
    drop(pin);
    drop(mnt);
    pr_info!("apifuzz: umount #0 ends\n");
}

/// Leaks both trees' references of `e`.
fn forget(seq: &mut Seq, m: &mut Mounts, e: Ent<'_>) {
    let (Ok(ia), Ok(ib)) = (leak_info(&e.a), leak_info(&e.b)) else {
        seq.fail(format_args!(
            "could not read what a leak of {} keeps",
            e.path
        ));
        return;
    };
    seq.leaks += 1;
    seq.op_on(Op::Forget, e.path);
    m.leaks.0.dentry(&ia);
    m.leaks.1.dentry(&ib);
    seq.prog
        .line(format_args!("core::mem::forget(e{}); // {}", e.id, e.path));
    core::mem::forget(e);
}

/// Compares, for every directory held (and the root), the children in
/// both trees.
fn compare<'p>(seq: &mut Seq, pool: &mut KVec<Ent<'p>>, root: &mut Ent<'p>) {
    if !seq.lists_empty() {
        return;
    }
    seq.cov.compares += 1;
    let mut seen: KVec<usize> = KVec::new();
    for e in Iterator::chain(core::iter::once(root), pool.iter_mut()) {
        let id = e.a.as_raw() as usize;
        if seen.contains(&id) {
            continue;
        }
        let _ = seen.push(id, GFP_KERNEL);
        compare_dir(seq, e);
    }
}

/// Compares the children of one directory held in both trees.
fn compare_dir(seq: &mut Seq, e: &mut Ent<'_>) {
    {
        let path = e.path;
        let (sa, sb) = match (snapshot(&mut e.a), snapshot(&mut e.b)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                seq.fail(format_args!("snapshot of {path}: {e:?}"));
                return;
            }
        };
        let (mut i, mut j) = (0, 0);
        while i < sa.len() || j < sb.len() {
            let ord = match (sa.get(i), sb.get(j)) {
                (Some(x), Some(y)) => (x.name(), x.unhashed).cmp(&(y.name(), y.unhashed)),
                (Some(_), None) => core::cmp::Ordering::Less,
                _ => core::cmp::Ordering::Greater,
            };
            match ord {
                core::cmp::Ordering::Equal => {
                    // C's LRU is lazy: an entry in use keeps whatever LRU
                    // state it had, which only its last dput() settles.
                    let lazy = path
                        .child(sa[i].name())
                        .is_some_and(|c| seq.lazy_ref.contains(&c));
                    let same = if sa[i].count == 0 {
                        sa[i] == sb[j]
                            || (lazy
                                && ChildState {
                                    referenced: sb[j].referenced,
                                    ..sa[i]
                                } == sb[j])
                    } else {
                        sa[i].count == sb[j].count
                            && sa[i].unhashed == sb[j].unhashed
                            && sa[i].shrink == sb[j].shrink
                    };
                    if !same {
                        seq.fail(format_args!(
                            "twin trees differ in {path}: layer {} but dput() {}",
                            sa[i], sb[j]
                        ));
                    }
                    i += 1;
                    j += 1;
                }
                core::cmp::Ordering::Less => {
                    seq.fail(format_args!(
                        "twin trees differ in {path}: the layer kept {} which dput() killed",
                        sa[i]
                    ));
                    i += 1;
                }
                core::cmp::Ordering::Greater => {
                    seq.fail(format_args!(
                        "twin trees differ in {path}: the layer killed {} which dput() kept",
                        sb[j]
                    ));
                    j += 1;
                }
            }
        }
    }
}

/// Who the twin's copy of a reference about to be put is: itself and its
/// parent, by address, read before the twin's `dput()` (`parent()` takes
/// and drops a reference that is never the last: the child holds it).
fn twin_identity(b: &DentryRef<'_, RdcacheFs>) -> Option<(usize, usize)> {
    let p = b.parent().ok()?;
    Some((b.as_raw() as usize, p.as_raw() as usize))
}

/// The put's own verdict against `dput()`'s: after the layer's `put`
/// returned `r` and the twin's `dput()` ran, the twin's entry (by address:
/// a killed dentry's memory waits for RCU, so it cannot be another's yet)
/// must still be a child of its parent if `r` kept it (`Cached`,
/// `Deferred`) and gone if `r` is `Listed`.  Read under the parent's guard
/// in the twin, when the sequence or the epoch holds that parent.
/// `Dropped` (not the last reference) is not judged: a directory's count
/// includes its children, and a listed child is gone from the twin already.
/// `OtherList` leaves the decision to the list's shrink.
fn check_put<'p>(
    seq: &mut Seq,
    pool: &mut KVec<Ent<'p>>,
    root: &mut Ent<'p>,
    path: Path,
    twin: Option<(usize, usize)>,
    r: PutResult,
) {
    let keep = match r {
        PutResult::Cached | PutResult::Deferred => true,
        PutResult::Listed => false,
        _ => return,
    };
    let Some((child, parent)) = twin else { return };
    let dir: &mut Ent<'p> = match pool.iter_mut().find(|e| e.b.as_raw() as usize == parent) {
        Some(e) => e,
        None if root.b.as_raw() as usize == parent => root,
        None => return,
    };
    let cached = dir
        .b
        .lock_children()
        .is_some_and(|g| g.iter().any(|c| c.dentry().as_raw() as usize == child));
    if cached != keep {
        seq.fail(format_args!(
            "put of {path} gave {r:?}, but dput() {} it",
            if cached { "kept" } else { "killed" }
        ));
    }
}

/// The count of the child `name` of `dir` that lookups find (hashed), read
/// under the directory's guard, or `None` if there is none.
fn child_count(dir: &mut DentryRef<'_, RdcacheFs>, name: &[u8]) -> Option<i32> {
    let g = dir.lock_children()?;
    let c = g
        .iter()
        .find(|c| c.name() == name && !c.dentry().is_unhashed())?;
    Some(c.dentry().count())
}

/// Whether the cached child `name` of `dir` sits on a shrink list (read
/// under the directory's guard: no reference taken).
fn child_listed(dir: &mut DentryRef<'_, RdcacheFs>, name: &[u8]) -> bool {
    dir.lock_children().is_some_and(|g| {
        g.iter()
            .find(|c| c.name() == name)
            .is_some_and(|c| c.dentry().is_on_shrink_list())
    })
}

/// How far down `names` the tree below `dir` goes: the chain of children
/// that are cached and in use, each with a reference of ours
/// (`try_lookup()`), and then whether the next one is cached unused
/// (count 0, so it has no children: the deepest there can be).  A
/// reference is taken only on a child already in use, so none of ours is
/// ever the last: taking and dropping them changes no dentry's state.
fn walk<'p>(
    dir: &mut DentryRef<'p, RdcacheFs>,
    names: &[&[u8]],
) -> (KVec<DentryRef<'p, RdcacheFs>>, bool) {
    let mut refs: KVec<DentryRef<'p, RdcacheFs>> = KVec::new();
    for n in names {
        let count = match refs.last_mut() {
            Some(d) => child_count(d, n),
            None => child_count(dir, n),
        };
        match count {
            None => return (refs, false),
            Some(0) => return (refs, true),
            Some(_) => {}
        }
        let mut buf = [0u8; 17];
        let len = n.len().min(16);
        buf[..len].copy_from_slice(&n[..len]);
        let Ok(name) = CStr::from_bytes_with_nul(&buf[..=len]) else {
            break;
        };
        let next = match refs.last() {
            Some(d) => d.try_lookup(name),
            None => dir.try_lookup(name),
        };
        match next {
            Ok(Some(d)) => {
                if refs.push(d, GFP_KERNEL).is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
    (refs, false)
}

/// After a shrink of the layer's list: `shrink_dentry_list()` killed each
/// entry of `kills` and pruned the ancestors it left unused, which `dput()`
/// (the twin) caches.  For each, the deepest ancestor the twin has cached
/// and unused, where the layer's tree has none, goes through
/// `shrink_dentry_list()` in the twin too, which prunes exactly as far up
/// as the layer's did (the trees are alike but for these).  Read from both
/// trees under guards, with references that are never the last.
fn reconcile_prunes<'p>(
    seq: &mut Seq,
    pool: &mut KVec<Ent<'p>>,
    root: &mut Ent<'p>,
    kills: &[Path],
) {
    for kp in kills {
        let p1 = kp.parent();
        if p1.len == 0 || p1 == *kp {
            continue; // The root's children: the root is never pruned.
        }
        // The deepest held directory (hashed: the one lookups find) on the
        // way down to p1, or the epoch's root.
        let k = (0..pool.len())
            .filter(|&i| {
                (pool[i].path == p1 || pool[i].path.is_ancestor_of(&p1))
                    && !pool[i].a.is_unhashed()
                    && !pool[i].b.is_unhashed()
            })
            .max_by_key(|&i| pool[i].path.len);
        let top: &mut Ent<'p> = match k {
            Some(k) => &mut pool[k],
            None => &mut *root,
        };
        if top.path == p1 {
            continue; // Held: not pruned.
        }
        let mut names: KVec<&[u8]> = KVec::new();
        let rest = &p1.bytes()[top.path.bytes().len()..];
        for c in rest.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            if names.push(c, GFP_KERNEL).is_err() {
                return;
            }
        }
        let (ra, a_unused) = walk(&mut top.a, &names);
        let (mut rb, b_unused) = walk(&mut top.b, &names);
        let a_depth = ra.len() + usize::from(a_unused);
        drop(ra);
        // The twin's deepest: an unused child below its last in-use one.
        if !b_unused || rb.len() < a_depth {
            continue;
        }
        let last = names[rb.len()];
        stack_pin_init!(let list = ShrinkList::new());
        let moved = {
            let q = match rb.last_mut() {
                Some(q) => q,
                None => &mut top.b,
            };
            match q.lock_children() {
                Some(mut g) => g
                    .lock_child(|c| c.name() == last && !c.dentry().is_unhashed())
                    .is_some_and(|l| list.as_mut().move_to_list(&l)),
                None => false,
            }
        };
        drop(rb);
        list.as_mut().shrink();
        if moved {
            seq.inter(Inter::PrunedAncestor);
            seq.prog.line(format_args!(
                "// {}: pruned by shrink_dentry_list() after {kp} was killed, cached by dput(): pruned in the twin too",
                core::str::from_utf8(last).unwrap_or("?")
            ));
        } else {
            seq.fail(format_args!(
                "the twin's pruned ancestor of {kp} could not be evicted"
            ));
        }
    }
}

/// Kills the unused child `name` of `dir` (`move_to_list()` under the
/// directory's guard, then `shrink()`); whether it was there to kill.
fn evict_name(dir: &mut DentryRef<'_, RdcacheFs>, name: &[u8]) -> bool {
    stack_pin_init!(let list = ShrinkList::new());
    let moved = match dir.lock_children() {
        Some(mut g) => g
            .lock_child(|c| c.name() == name)
            .is_some_and(|l| list.as_mut().move_to_list(&l)),
        None => false,
    };
    list.as_mut().shrink();
    moved
}

/// One random operation.
#[allow(clippy::too_many_arguments)]
fn step<'p>(
    seq: &mut Seq,
    m: &mut Mounts,
    root: &mut Ent<'p>,
    pool: &mut KVec<Ent<'p>>,
    ipool: &mut KVec<IEnt<'p>>,
    fpin: Option<&'p ActiveSuper<Foreign>>,
    fpool: &mut KVec<DentryRef<'p, Foreign>>,
    fleaks: &mut Leaks,
) -> Result {
    let mut nbuf = [0u8; 300];
    let full = pool.len() >= POOL_MAX;
    let k = pick(&mut seq.rng, pool.len().max(1));
    match seq.rng.next() % 36 {
        // A pattern: a new entry's last reference put (deferred: it is not
        // on the LRU yet), then found again and held.
        34..=35 if !full && !pool.is_empty() => {
            let mut name = [0u8; 8];
            let nlen = {
                let mut w = super::shape::Cursor::new(&mut name[..7]);
                let _ = write!(
                    w,
                    "{}{}",
                    if seq.chance(2) { 'd' } else { 'f' },
                    seq.rng.next() % 3
                );
                w.len()
            };
            let cname = CStr::from_bytes_with_nul(&name[..=nlen]).map_err(|_| EINVAL)?;
            let d = &pool[k];
            let (Ok(a), Ok(b)) = (d.a.lookup(cname), d.b.lookup(cname)) else {
                return Ok(());
            };
            let (dir_id, path) = (d.id, d.path.child(&name[..nlen]).ok_or(EINVAL)?);
            let i = pick(&mut seq.rng, NLISTS);
            seq.op_on(Op::Put, path);
            let r = seq.lists_a[i].as_mut().put(a);
            let twin = twin_identity(&b);
            drop(b);
            check_put(seq, pool, root, path, twin, r);
            if seq.list_epochs[i] == 0 && !seq.lists_a[i].is_empty() {
                seq.list_epochs[i] = seq.epoch;
            }
            let _ = seq.recent.push(path, GFP_KERNEL);
            let (a, b) = (pool[k].a.try_lookup(cname)?, pool[k].b.try_lookup(cname)?);
            let id = seq.id();
            seq.prog.line(format_args!(
                "lists[{i}].put(e{dir_id}.lookup(c\"{path}\")?) -> {r:?}; let e{id} = e{dir_id}.try_lookup(c\"{}\")?;",
                core::str::from_utf8(&name[..nlen]).unwrap_or("?")
            ));
            match (a, b) {
                (Some(a), Some(b)) => {
                    seq.op_on(Op::TryLookup, path);
                    if a.is_on_shrink_list() {
                        seq.inter(Inter::LookupOfListed);
                    }
                    pool.push(Ent { id, path, a, b }, GFP_KERNEL)?;
                }
                (None, None) => {}
                _ => seq.fail(format_args!(
                    "try_lookup() of {path} differs between the twins"
                )),
            }
        }
        // A pattern: an entry `->d_delete()` kills, in a directory nothing
        // else holds, put and shrunk: shrink_dentry_list() prunes the
        // directory, which dput() caches.
        32..=33 if !full && pool.len() > 1 => {
            let Some(d) = swap_take(pool, k.max(1)) else {
                return Ok(());
            };
            let (a, b) = (d.a.lookup(c"drop-0"), d.b.lookup(c"drop-0"));
            seq.op_on(Op::Lookup, d.path);
            let (Ok(a), Ok(b)) = (a, b) else {
                seq.prog.line(format_args!(
                    "e{}.lookup(c\"drop-0\") -> Err; // {}",
                    d.id, d.path
                ));
                pool.push(d, GFP_KERNEL)?;
                return Ok(());
            };
            let path = d.path.child(b"drop-0").ok_or(EINVAL)?;
            let i = pick(&mut seq.rng, NLISTS);
            seq.prog.line(format_args!(
                "let x = e{}.lookup(c\"drop-0\")?; drop(e{}); lists[{i}].put(x); // {path}",
                d.id, d.id
            ));
            seq.op_on(Op::Drop, d.path);
            drop(d);
            seq.op_on(Op::Put, path);
            let r = seq.lists_a[i].as_mut().put(a);
            let twin = twin_identity(&b);
            drop(b);
            seq.prog.line(format_args!("// -> {r:?}"));
            check_put(seq, pool, root, path, twin, r);
            if r == PutResult::Listed {
                let _ = seq.kill_paths[i].push(path, GFP_KERNEL);
                let _ = seq.lazy_ref.push(path.parent(), GFP_KERNEL);
            }
            let _ = seq.recent.push(path, GFP_KERNEL);
            if seq.list_epochs[i] == 0 && !seq.lists_a[i].is_empty() {
                seq.list_epochs[i] = seq.epoch;
            }
            compare(seq, pool, root);
        }
        // Lookups and creations: new references in both trees.
        0..=5 if !full && !pool.is_empty() => {
            let mut k = k;
            let mut len = random_name(&mut seq.rng, &mut nbuf);
            // Half the time, a name put or moved into a list this epoch,
            // looked up in its parent if that is held.
            if !seq.recent.is_empty() && seq.chance(2) {
                let r = seq.recent[pick(&mut seq.rng, seq.recent.len())];
                if let Some(i) = pool.iter().position(|e| e.path == r.parent()) {
                    let name = r.name();
                    k = i;
                    len = name.len();
                    nbuf[..len].copy_from_slice(name);
                    nbuf[len] = 0;
                }
            }
            let name = CStr::from_bytes_with_nul(&nbuf[..=len]).map_err(|_| EINVAL)?;
            let how = seq.rng.next() % 3;
            let dir_wanted = seq.chance(2);
            // Read before the call: create_child()'s own lookup of a listed
            // entry and its dput() may kill it (->d_delete(), dontcache).
            let a_listed = child_listed(&mut pool[k].a, name.to_bytes());
            let e = &pool[k];
            let (op, ra, rb) = match how {
                0 => (
                    Op::TryLookup,
                    e.a.try_lookup(name).map(|o| o.ok_or(ENOENT)),
                    e.b.try_lookup(name).map(|o| o.ok_or(ENOENT)),
                ),
                1 => (Op::Lookup, Ok(e.a.lookup(name)), Ok(e.b.lookup(name))),
                _ => (
                    Op::CreateChild,
                    Ok(e.a.create_child(name, dir_wanted)),
                    Ok(e.b.create_child(name, dir_wanted)),
                ),
            };
            let (ra, mut rb) = (ra.and_then(|r| r), rb.and_then(|r| r));
            let shown = if len > 16 {
                "l...l (256 bytes)"
            } else {
                name.to_str().unwrap_or("?")
            };
            let parent = e.path;
            seq.op_on(op, parent);
            let path = parent.child(name.to_bytes());
            // Where the trees differ by design until a shrink, the twin is
            // brought into line (and the program says so):
            let mut refetched = false;
            match (&ra, &rb) {
                // A listed entry is still cached in the layer's tree until
                // its shrink, where dput() killed it at once: the twin looks
                // it up (->lookup()) to hold it too, marked as the layer's
                // is if the sequence marked it.
                // So is a parent a listed child keeps alive in the layer's
                // tree (its count), which dput() may have killed (a
                // ->d_delete() name, dontcache) in the twin.
                (Ok(a), Err(e))
                    if *e == ENOENT
                        && (a.is_on_shrink_list()
                            || path.is_some_and(|p| seq.lazy_ref.contains(&p))) =>
                {
                    seq.prog.line(format_args!(
                        "// twin: e{}.lookup() of the entry dput() killed and the layer's list still holds",
                        pool[k].id
                    ));
                    rb = pool[k].b.lookup(name);
                    refetched = true;
                    if let (Ok(b), Some(p)) = (&rb, path) {
                        if seq.dontcache.contains(&p) {
                            let _ = b.mark_dontcache();
                        }
                    }
                }
                // create_child() of a name the layer's list still holds
                // (to be killed), which dput() killed: the twin's new entry
                // is killed again.
                (Err(e), Ok(b)) if *e == EEXIST && op == Op::CreateChild => {
                    if a_listed || path.is_some_and(|p| seq.lazy_ref.contains(&p)) {
                        let _ = b.mark_dontcache();
                        rb = Err(EEXIST);
                        seq.prog.line(format_args!(
                            "// twin: {shown} created where the layer's list still holds it: killed again"
                        ));
                    }
                }
                _ => {}
            }
            // A listed entry the sequence marked dontcache, found again by
            // lookup() (the twin's ->lookup() made a new, unmarked one).
            if let (Ok(a), Ok(b), Some(p), false) = (&ra, &rb, path, refetched) {
                if a.is_on_shrink_list() && seq.dontcache.contains(&p) {
                    let _ = b.mark_dontcache();
                }
            }
            // The listed entry (or the parent a listed child keeps alive in
            // the layer's tree, where dput() may have killed it in the
            // twin) may be one the sequence created (create_child(): not
            // in the shape), which the twin's ->lookup() cannot bring
            // back: then neither tree keeps it.
            let (ra, rb) = match (ra, rb) {
                (Ok(a), Ok(b))
                    if (refetched
                        || a.is_on_shrink_list()
                        || path.is_some_and(|p| seq.lazy_ref.contains(&p)))
                        && a.inode().is_some() != b.inode().is_some() =>
                {
                    seq.prog.line(format_args!(
                        "// {shown}: created, listed in the layer's tree, gone from the twin's shape: dropped in both, evicted from the twin"
                    ));
                    drop(a);
                    drop(b);
                    evict_name(&mut pool[k].b, name.to_bytes());
                    (Err(ENOENT), Err(ENOENT))
                }
                r => r,
            };
            match (ra, rb) {
                (Ok(a), Ok(b)) => {
                    let id = seq.id();
                    let path = path.ok_or(EINVAL)?;
                    if a.is_on_shrink_list() {
                        seq.inter(Inter::LookupOfListed);
                    }
                    seq.prog.line(format_args!(
                        "let e{id} = e{}.{}(c\"{shown}\")?; // {path}",
                        pool[k].id, OP_NAMES[op as usize]
                    ));
                    seq.op_on(op, path);
                    pool.push(Ent { id, path, a, b }, GFP_KERNEL)?;
                }
                (Err(x), Err(y)) if x == y => {
                    seq.prog.line(format_args!(
                        "e{}.{}(c\"{shown}\") -> Err({x:?});",
                        pool[k].id, OP_NAMES[op as usize]
                    ));
                }
                (ra, rb) => {
                    let (ra, rb) = (ra.map(|_| ()), rb.map(|_| ()));
                    seq.fail(format_args!(
                        "{}(\"{shown}\") in {parent}: layer tree {ra:?}, twin {rb:?}",
                        OP_NAMES[op as usize]
                    ));
                }
            }
        }
        6 if !full && !pool.is_empty() => {
            let e = &pool[k];
            let (a, b, path) = (e.a.clone(), e.b.clone(), e.path);
            let id = seq.id();
            seq.prog
                .line(format_args!("let e{id} = e{}.clone();", e.id));
            seq.op_on(Op::Clone, path);
            pool.push(Ent { id, path, a, b }, GFP_KERNEL)?;
        }
        7 if !full && !pool.is_empty() => {
            let e = &pool[k];
            let (a, b) = (e.a.parent()?, e.b.parent()?);
            let (path, id) = (e.path.parent(), seq.id());
            seq.prog
                .line(format_args!("let e{id} = e{}.parent()?; // {path}", e.id));
            seq.op_on(Op::Parent, path);
            pool.push(Ent { id, path, a, b }, GFP_KERNEL)?;
        }
        8 if !pool.is_empty() => {
            let e = &pool[k];
            match (e.a.inode(), e.b.inode()) {
                (Some(a), Some(b)) => {
                    let (id, path) = (seq.id(), e.path);
                    seq.prog.line(format_args!(
                        "let i{id} = e{}.inode().unwrap(); // {path}",
                        e.id
                    ));
                    seq.op_on(Op::Inode, path);
                    ipool.push(
                        IEnt {
                            id,
                            path,
                            _a: a,
                            _b: b,
                        },
                        GFP_KERNEL,
                    )?;
                }
                (None, None) => seq.prog.line(format_args!("e{}.inode() -> None;", e.id)),
                _ => seq.fail(format_args!(
                    "inode() of {} differs between the twins",
                    e.path
                )),
            }
        }
        9 if !ipool.is_empty() => {
            let i = pick(&mut seq.rng, ipool.len());
            let Some(e) = swap_take(ipool, i) else {
                return Ok(());
            };
            if pool.iter().all(|d| d.path != e.path) {
                seq.inter(Inter::InodeOutlivesDentry);
            }
            seq.op(Op::InodeDrop);
            seq.prog.line(format_args!("drop(i{});", e.id));
        }
        // Dropping: dput() in both trees, or the layer's put into a list.
        10..=11 if pool.len() > 1 => {
            let Some(e) = swap_take(pool, k.max(1)) else {
                return Ok(());
            };
            seq.op_on(Op::Drop, e.path);
            seq.prog
                .line(format_args!("drop(e{}); // {}", e.id, e.path));
            drop(e);
            compare(seq, pool, root);
        }
        12..=16 if pool.len() > 1 => {
            let Some(e) = swap_take(pool, k.max(1)) else {
                return Ok(());
            };
            let i = pick(&mut seq.rng, NLISTS);
            let locked = seq.chance(3);
            let (op, path, id) = (if locked { Op::PutLocked } else { Op::Put }, e.path, e.id);
            seq.op_on(op, path);
            seq.op_on_list(op, i);
            let Ent { a, b, .. } = e;
            // With the kernel's `dput_to_list()`, `put()` does not say that
            // it left the entry to another list (`Released`): seen on a list
            // just before, and not listed by the put, it was.
            let on_a_list = !HAS_DEFERRED_STEP && a.is_on_shrink_list();
            let r = if locked {
                seq.inter(Inter::PutUnderSpinlock);
                stack_pin_init!(let lock = new_spinlock!(()));
                let _g = lock.lock();
                seq.lists_a[i].as_mut().put(a)
            } else {
                seq.lists_a[i].as_mut().put(a)
            };
            // The twin: C's dput(), at once.
            let twin = twin_identity(&b);
            drop(b);
            seq.prog.line(format_args!(
                "{}lists[{i}].put(e{id}) -> {r:?}; // {path}; twin: dput()",
                if locked {
                    "{ let _g = lock.lock(); } "
                } else {
                    ""
                }
            ));
            let _ = seq.recent.push(path, GFP_KERNEL);
            check_put(seq, pool, root, path, twin, r);
            match r {
                PutResult::Listed => {
                    let _ = seq.kill_paths[i].push(path, GFP_KERNEL);
                    let _ = seq.lazy_ref.push(path.parent(), GFP_KERNEL);
                }
                PutResult::OtherList => seq.inter(Inter::PutOtherList),
                PutResult::Released if on_a_list => seq.inter(Inter::PutOtherList),
                PutResult::Refused => seq.fail(format_args!("put refused outside a guard")),
                _ => {}
            }
            if seq.list_epochs[i] == 0 && !seq.lists_a[i].is_empty() {
                seq.list_epochs[i] = seq.epoch;
            }
            compare(seq, pool, root);
        }
        17..=19 => {
            let i = pick(&mut seq.rng, NLISTS);
            let kills = seq.shrink(i);
            reconcile_prunes(seq, pool, root, &kills);
            compare(seq, pool, root);
        }
        20 => {
            let i = pick(&mut seq.rng, NLISTS);
            seq.op(Op::Census);
            seq.op_on_list(Op::Census, i);
            let c = seq.census_check(i);
            seq.prog.line(format_args!(
                "lists[{i}].census() -> entries={} husks={} in_use={} deferred={};",
                c.entries, c.husks, c.in_use, c.deferred
            ));
        }
        21..=22 if !pool.is_empty() => guard(seq, m, pool, k)?,
        23 if !pool.is_empty() => {
            let e = &pool[k];
            let (ra, rb) = (e.a.mark_dontcache(), e.b.mark_dontcache());
            if ra.is_ok() && !seq.dontcache.contains(&e.path) {
                let _ = seq.dontcache.push(e.path, GFP_KERNEL);
            }
            seq.op_on(Op::MarkDontcache, e.path);
            seq.prog.line(format_args!(
                "e{}.mark_dontcache() -> {ra:?}; // {}",
                e.id, e.path
            ));
            if ra != rb {
                seq.fail(format_args!("mark_dontcache() differs: {ra:?} / {rb:?}"));
            }
        }
        24 if !pool.is_empty() => {
            let e = &pool[k];
            let inv = seq.chance(2);
            if inv {
                e.a.d_invalidate();
                e.b.d_invalidate();
            } else {
                e.a.shrink_dcache_parent();
                e.b.shrink_dcache_parent();
            }
            let op = if inv {
                Op::DInvalidate
            } else {
                Op::ShrinkDcacheParent
            };
            seq.op_on(op, e.path);
            seq.prog.line(format_args!(
                "e{}.{}(); // {}",
                e.id, OP_NAMES[op as usize], e.path
            ));
            compare(seq, pool, root);
        }
        25 if pool.len() > 1 && seq.leaks < LEAKS_MAX => {
            let Some(e) = swap_take(pool, k.max(1)) else {
                return Ok(());
            };
            forget(seq, m, e);
        }
        26 if m.pins.len() < 4 => {
            // A pin, from the mount, the anchor, or a WeakSuper.
            let how = seq.rng.next() % 3;
            let p = match (how, &m.mnt) {
                (0, Some((a, b))) => a.sb().try_activate().zip(b.sb().try_activate()),
                (1, _) => {
                    seq.op(Op::WeakActivate);
                    m.weak.0.try_activate().zip(m.weak.1.try_activate())
                }
                _ => pool
                    .first()
                    .and_then(|e| e.a.sb().try_activate().zip(e.b.sb().try_activate())),
            };
            seq.op(Op::PinTake);
            seq.prog.line(format_args!(
                "let pin = ...try_activate() -> {};",
                if p.is_some() { "Some" } else { "None" }
            ));
            match p {
                Some(p) => m.pins.push(p, GFP_KERNEL)?,
                None => seq.fail(format_args!("try_activate() of a pinned superblock failed")),
            }
        }
        27 if !m.pins.is_empty() => {
            let i = pick(&mut seq.rng, m.pins.len());
            let Some((a, b)) = swap_take(&mut m.pins, i) else {
                return Ok(());
            };
            if seq.chance(2) {
                seq.op(Op::PinToWorker);
                seq.prog.line(format_args!("spawn(move || drop(pin));"));
                let pending = Arc::new(Atomic::new(1u32), GFP_KERNEL)?;
                let p = pending.clone();
                if spawn(move || {
                    drop(a);
                    drop(b);
                    p.store(0, Release);
                })
                .is_ok()
                {
                    join(seq, &pending);
                }
            } else {
                seq.op(Op::PinDrop);
                seq.prog.line(format_args!("drop(pin);"));
                drop(a);
                drop(b);
            }
        }
        28 => {
            // A work item pins through the WeakSuper, looks a name up,
            // puts it into its own list and shrinks; the twin drops it.
            let len = random_name(&mut seq.rng, &mut nbuf);
            if len > 16 {
                return Ok(());
            }
            let mut name = [0u8; 17];
            name[..=len].copy_from_slice(&nbuf[..=len]);
            let (wa, wb) = (m.weak.0.clone(), m.weak.1.clone());
            seq.op(Op::WorkerPut);
            seq.prog.line(format_args!(
                "spawn(move || {{ let pin = weak.try_activate()?; list.put(pin.root().try_lookup(c\"{}\")?); list.shrink(); }});",
                core::str::from_utf8(&name[..len]).unwrap_or("?")
            ));
            let pending = Arc::new(Atomic::new(1u32), GFP_KERNEL)?;
            let p = pending.clone();
            let spawned = spawn(move || {
                worker_put(&wa, &wb, &name[..=len]);
                p.store(0, Release);
            });
            if spawned.is_ok() {
                join(seq, &pending);
                compare(seq, pool, root);
            }
        }
        29 if m.mnt.is_some() => {
            seq.op(Op::MountDrop);
            seq.prog.line(format_args!(
                "drop(mnt); // the anchor keeps the superblock up"
            ));
            m.mnt = None;
        }
        30..=31 if fpin.is_some() => {
            // A foreign tree: its root, parents and clones, into the lists.
            let Some(pin) = fpin else { return Ok(()) };
            seq.op(Op::ForeignRef);
            let busy = seq.lists_a.iter().any(|l| !l.is_empty()) && !fpool.is_empty();
            let sub = if busy && seq.chance(2) {
                2
            } else {
                seq.rng.next() % 4
            };
            match sub {
                0 if fpool.len() < 4 => {
                    seq.prog.line(format_args!("let fref = fpin.root();"));
                    fpool.push(pin.root(), GFP_KERNEL)?;
                }
                1 if !fpool.is_empty() => {
                    let r = fpool[0].parent()?;
                    seq.prog.line(format_args!("let fref = fref.parent()?;"));
                    fpool.push(r, GFP_KERNEL)?;
                }
                2 if !fpool.is_empty() => {
                    let i = (0..NLISTS)
                        .find(|&i| !seq.lists_a[i].is_empty())
                        .unwrap_or_else(|| pick(&mut seq.rng, NLISTS));
                    let r = fpool.pop().ok_or(EINVAL)?;
                    if !seq.lists_a[i].is_empty() {
                        seq.inter(Inter::TwoFilesystemsOneList);
                    }
                    let res = seq.lists_a[i].as_mut().put(r);
                    seq.prog
                        .line(format_args!("lists[{i}].put(fref) -> {res:?}; // ramfs /"));
                    if res != NOT_LAST {
                        seq.fail(format_args!("put of a ramfs root reference gave {res:?}"));
                    }
                }
                _ => {
                    if let Some(r) = fpool.pop() {
                        if seq.leaks < LEAKS_MAX && seq.chance(4) {
                            let info = leak_info(&r)?;
                            seq.leaks += 1;
                            fleaks.dentry(&info);
                            seq.op(Op::Forget);
                            seq.prog
                                .line(format_args!("core::mem::forget(fref); // ramfs /"));
                            core::mem::forget(r);
                        } else {
                            seq.prog.line(format_args!("drop(fref);"));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A work item's part of [`step`]: pins both trees through their weak
/// handles, looks `name` up in each root, and disposes of it: through a
/// list of its own in the layer's tree, by `dput()` in the twin.
fn worker_put(wa: &WeakSuper<RdcacheFs>, wb: &WeakSuper<RdcacheFs>, name: &[u8]) {
    let Ok(name) = CStr::from_bytes_with_nul(name) else {
        return;
    };
    let (Some(pa), Some(pb)) = (wa.try_activate(), wb.try_activate()) else {
        return;
    };
    let (ra, rb) = (pa.root(), pb.root());
    let found = (ra.try_lookup(name), rb.try_lookup(name));
    if let (Ok(Some(a)), Ok(Some(b))) = found {
        stack_pin_init!(let list = ShrinkList::new());
        list.as_mut().put(a);
        drop(b);
        list.as_mut().shrink();
    }
}

/// A guard on `pool[k]` of the layer's tree: moves, a census, and calls the
/// lock rule refuses (each announced, so the judge expects its `WARN`);
/// then the same moves in the twin, under its own guard.
fn guard<'p>(seq: &mut Seq, m: &mut Mounts, pool: &mut KVec<Ent<'p>>, k: usize) -> Result {
    let Some(mut e) = swap_take(pool, k) else {
        return Ok(());
    };
    let (id, path) = (e.id, e.path);
    seq.op_on(Op::LockChildren, path);
    // Names moved, and the list each went to.
    let mut moved: KVec<([u8; 16], usize, usize)> = KVec::with_capacity(4, GFP_KERNEL)?;
    // The twin's copy of a reference whose put the guard refused.
    let mut leaked: Option<(Path, DentryRef<'p, RdcacheFs>)> = None;
    let nsub = 1 + seq.rng.next() % 4;
    let mut subs = [0u64; 4];
    for s in subs.iter_mut() {
        *s = seq.rng.next();
    }
    let other = if pool.is_empty() {
        None
    } else {
        Some(pick(&mut seq.rng, pool.len()))
    };
    // What leaking `other` would keep, read now: nothing that may take a
    // d_lock runs under the guard.
    let guarded = e.a.as_raw();
    let other_leak = match other {
        Some(o) if pool[o].a.as_raw() != guarded => {
            match (leak_info(&pool[o].a), leak_info(&pool[o].b)) {
                (Ok(a), Ok(b)) => Some((a, b)),
                _ => None,
            }
        }
        _ => None,
    };
    seq.prog.line(format_args!(
        "{{ let mut g = e{id}.lock_children().unwrap(); // {path}"
    ));
    seq.prog.reserve();
    seq.prog.atomic = true;
    {
        let Some(mut g) = e.a.lock_children() else {
            seq.prog.atomic = false;
            seq.fail(format_args!(
                "lock_children() of {path} refused with no guard held"
            ));
            pool.push(e, GFP_KERNEL)?;
            return Ok(());
        };
        for s in subs.iter().take(nsub as usize) {
            match s % 6 {
                0..=2 => {
                    // Move the n-th child, if unused, to a list.
                    let i = (*s as usize >> 8) % NLISTS;
                    let n = (*s >> 16) as usize % 8;
                    let mut idx = 0;
                    let mut name = [0u8; 16];
                    let Some(l) = g.lock_child(|_| {
                        idx += 1;
                        idx - 1 == n
                    }) else {
                        continue;
                    };
                    let nm = l.name();
                    let nlen = nm.len().min(16);
                    name[..nlen].copy_from_slice(&nm[..nlen]);
                    let ok = seq.lists_a[i].as_mut().move_to_list(&l);
                    drop(l);
                    seq.op(Op::MoveToList);
                    seq.op_on_list(Op::MoveToList, i);
                    seq.prog.line(format_args!(
                        "  lists[{i}].move_to_list(&g.lock_child(|c| c.name() == b\"{}\").unwrap()) -> {ok};",
                        core::str::from_utf8(&name[..nlen]).unwrap_or("?")
                    ));
                    if ok {
                        // No allocation under the guard: room was reserved.
                        let _ = moved.push_within_capacity((name, nlen, i));
                        if seq.list_epochs[i] == 0 {
                            seq.list_epochs[i] = seq.epoch;
                        }
                    }
                }
                3 => {
                    let i = (*s as usize >> 8) % NLISTS;
                    let c = seq.lists_a[i].census();
                    seq.op(Op::Census);
                    seq.prog.line(format_args!(
                        "  lists[{i}].census() -> entries={} husks={} in_use={};",
                        c.entries, c.husks, c.in_use
                    ));
                }
                4 => {
                    // A lookup under the guard: refused, with a WARN.
                    let Some(o) = other else { continue };
                    seq.op(Op::Refused);
                    seq.inter(Inter::GuardThenLookup);
                    pr_info!("apifuzz: expect refusal: DentryRef::try_lookup()\n");
                    let r = pool[o].a.try_lookup(c"f0");
                    seq.prog.line(format_args!(
                        "  e{}.try_lookup(c\"f0\") -> {:?}; // refused under the guard",
                        pool[o].id,
                        r.as_ref().map(|_| ())
                    ));
                    if r.err() != Some(EDEADLK) {
                        seq.fail(format_args!("try_lookup() under a guard not refused"));
                    }
                }
                _ => {
                    // A put of another reference under the guard: refused
                    // (leaked, with a WARN) unless it is the guarded
                    // directory's own and not the last.
                    let Some(o) = other else { continue };
                    // Not the guarded dentry's own reference (dropped under
                    // its lock, not refused), and only if its leak was read.
                    if leaked.is_some() || seq.leaks >= LEAKS_MAX || other_leak.is_none() {
                        continue;
                    }
                    let i = (*s as usize >> 8) % NLISTS;
                    seq.op(Op::Refused);
                    pr_info!("apifuzz: expect refusal: ShrinkList::put()\n");
                    let Some(victim) = swap_take(pool, o) else {
                        continue;
                    };
                    let Ent {
                        id: vid,
                        path: vpath,
                        a,
                        b,
                    } = victim;
                    let r = seq.lists_a[i].as_mut().put(a);
                    seq.prog.line(format_args!(
                        "  lists[{i}].put(e{vid}) -> {r:?}; // {vpath}, under the guard: leaked"
                    ));
                    if r != PutResult::Refused {
                        seq.fail(format_args!("put under a guard gave {r:?}, not Refused"));
                    }
                    // The twin leaks its copy too (after the guard).
                    leaked = Some((vpath, b));
                    break;
                }
            }
        }
    }
    seq.prog.atomic = false;
    seq.prog.line(format_args!("}}"));
    // The twin: the same moves, under its own guard.
    if !moved.is_empty() {
        let mut ok_all = true;
        {
            let Some(mut g) = e.b.lock_children() else {
                seq.fail(format_args!("twin lock_children() refused"));
                pool.push(e, GFP_KERNEL)?;
                return Ok(());
            };
            for (name, nlen, i) in moved.iter() {
                let ok = g
                    .lock_child(|c| c.name() == &name[..*nlen])
                    .is_some_and(|l| seq.lists_b[*i].as_mut().move_to_list(&l));
                ok_all &= ok;
            }
        }
        for (name, nlen, i) in moved.iter() {
            if let Some(p) = path.child(&name[..*nlen]) {
                let _ = seq.kill_paths[*i].push(p, GFP_KERNEL);
                let _ = seq.recent.push(p, GFP_KERNEL);
            }
            seq.inter(Inter::MoveThenShrink);
        }
        if !ok_all {
            seq.fail(format_args!(
                "a child the layer's tree moved could not be moved in the twin"
            ));
        }
    }
    if let (Some((_, b)), Some((ia, ib))) = (leaked, other_leak) {
        // The refused put leaked the layer's copy; the twin's goes too.
        seq.leaks += 1;
        m.leaks.0.dentry(&ia);
        m.leaks.1.dentry(&ib);
        core::mem::forget(b);
    }
    pool.push(e, GFP_KERNEL)?;
    Ok(())
}

/// The `apifuzz` debugfs file: write `SEED [OPS] [verbose]` to run one
/// sequence; read it for the last sequence and the coverage.
#[pin_data]
pub(crate) struct ApiFuzz {
    #[pin]
    state: Mutex<State>,
}

struct State {
    last: Option<(u64, u32, u32, KVec<u8>, bool)>,
    cov: Option<KBox<Coverage>>,
}

/// Most operations one sequence may run.
const MAX_OPS: u64 = 10_000;
/// Operations per sequence unless the write says.
const DEFAULT_OPS: u32 = 60;

impl ApiFuzz {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            state <- new_mutex!(State { last: None, cov: None }, "rdcache_apifuzz"),
        })
    }
}

impl debugfs::Writer for ApiFuzz {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        match &s.last {
            Some((seed, ops, failures, text, truncated)) => {
                writeln!(
                    f,
                    "last: seed={seed} ops={ops} result={}",
                    if *failures == 0 { "ok" } else { "FAILED" }
                )?;
                f.write_str(core::str::from_utf8(text).unwrap_or("(not UTF-8)\n"))?;
                if *truncated {
                    writeln!(f, "// (truncated)")?;
                }
            }
            None => writeln!(f, "no sequence has run; write 'SEED [OPS] [verbose]'")?,
        }
        match &s.cov {
            Some(c) => c.report(f),
            None => Ok(()),
        }
    }
}

impl debugfs::Reader for ApiFuzz {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; COMMAND_MAX];
        let cmd =
            core::str::from_utf8(read_command("apifuzz", reader, &mut buf)?).map_err(|_| {
                pr_err!("apifuzz: command is not UTF-8\n");
                EINVAL
            })?;
        let mut words = cmd.split_ascii_whitespace();
        let seed = match words.next().map(str::parse::<u64>) {
            Some(Ok(s)) => s,
            _ => {
                pr_err!("apifuzz: write 'SEED [OPS] [verbose]', SEED a decimal u64\n");
                return Err(EINVAL);
            }
        };
        let mut ops = DEFAULT_OPS;
        let mut verbose = false;
        for w in words {
            match w.parse::<u64>() {
                Ok(n) if (1..=MAX_OPS).contains(&n) => ops = n as u32,
                _ if w == "verbose" => verbose = true,
                _ => {
                    pr_err!("apifuzz: '{w}' is neither OPS in 1..={MAX_OPS} nor 'verbose'\n");
                    return Err(EINVAL);
                }
            }
        }
        pr_info!("apifuzz: seed {seed} begins ({ops} operations)\n");
        let cov = KBox::new(Coverage::zeroed(), GFP_KERNEL)?;
        let (prog, cov, failures) = sequence(seed, ops, verbose, cov);
        let verdict = if failures == 0 { "ok" } else { "FAILED" };
        pr_info!("apifuzz: seed {seed} ends: {verdict}\n");
        let mut s = self.state.lock();
        match &mut s.cov {
            Some(c) => c.add(&cov),
            None => s.cov = Some(cov),
        }
        s.last = Some((seed, ops, failures, prog.text, prog.truncated));
        if failures > 0 {
            return Err(EINVAL);
        }
        Ok(())
    }
}
