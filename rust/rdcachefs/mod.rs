// SPDX-License-Identifier: GPL-2.0

//! `rdcachefs`: rdcache's test filesystem.
//!
//! A read-only synthetic tree (see [`shape`]) whose dentries are made by
//! lookups, so they can be evicted and come back; every dentry and inode
//! callback is counted per superblock and module-wide ([`registry`]), and a
//! callback that arrives after `->kill_sb()` finished is reported as late.
//!
//! Mount (root only): `mount -t rdcachefs -o depth=D,fanout=F,files=N none DIR`
//! with `D` in 0..=4194304, `F` in 0..=64, `N` in 0..=4096, at most 4194304
//! entries in all (so only a narrow tree is deep: `fanout=1` is a chain); defaults `depth=2,fanout=3,files=2`.  `workers=K` (0..=8,
//! default 0) starts `K` [`workers`] seeded from `seed=S` (default 0).
//! `namelen=N` (0..=65536, default 0) makes `child()` claim names `N` bytes
//! long, to test the layer's clamp.  `linger=MS` (0..=1000, default 0) keeps
//! each worker in module code for `MS` milliseconds after it stopped and the
//! superblock may be gone, widening the window in which module exit must
//! wait for it (`rdcachefs/unload-race`).  `scenario=K` (0..=7, default 0)
//! starts the workers of a forced interleaving instead ([`scenario`]; not
//! with `workers=`).  `slow_kill=US` (0..=100000, default 0) makes every
//! `->d_release()` that one of the mount's workers runs (but not in
//! `->kill_sb()`) sleep `US` microseconds first: workers then spend most of
//! their time inside kills, widening the window in which umount finds one
//! under way (the stress's `wait` and `ancestor` cases).  Names beginning with `drop-` are never
//! cached: `->d_delete()` says to kill them once unused.
//!
//! Built only on the safe dcache layer in `rust/dcache/`: no `unsafe` here.

#![deny(unsafe_code)]

pub(crate) mod apifuzz;
pub(crate) mod bench;
pub(crate) mod control;
pub(crate) mod registry;
pub(crate) mod scenario;
pub(crate) mod shape;
pub(crate) mod sound;
pub(crate) mod workers;

use crate::dcache::{
    fs_type::{self, FileSystem, FsContext, Node, CHILD_NAME_MAX},
    workqueue::{ModuleQueue, QueueOwner},
    DeletingDentry, DentryWord, DyingDentry, EvictingInode, WeakSuper,
};
use kernel::{prelude::*, sync::Arc};
use registry::{Counter, Event};
use shape::Shape;

/// The filesystem type's name, as `mount -t` and `/proc/filesystems` show it.
pub(crate) const NAME: &CStr = c"rdcachefs";

/// `rdcachefs`.
pub(crate) struct RdcacheFs;

/// The data `rdcachefs` keeps in each dentry it looks up: its superblock's
/// tag (at most [`registry::MAX_TAG`], 29 bits) and whether it was made for
/// a directory, in one word, with no allocation.
fn word(tag: u32, dir: bool) -> Option<DentryWord> {
    let tag = usize::try_from(tag).ok()?;
    DentryWord::new(tag.checked_mul(2)? | usize::from(dir))
}

/// The tag in a dentry's [`word`].
fn word_tag(w: DentryWord) -> u32 {
    u32::try_from(w.get() >> 1).unwrap_or(0)
}

/// Whether a dentry's [`word`] says directory.
fn word_dir(w: DentryWord) -> bool {
    w.get() & 1 != 0
}

/// `rdcachefs`'s `file_system_type`.
pub(crate) static TYPE: fs_type::Type<RdcacheFs> = fs_type::Type::new();

/// Work items that may be live at once, module-wide: every mount's workers
/// and the benchmarks' threads.  A mount whose workers would exceed it
/// fails with `EBUSY`.
pub(crate) const MAX_LIVE_WORK: u32 = 32;

/// The module's workqueue: destroyed (drained) in module exit.
pub(crate) static QUEUE: ModuleQueue = ModuleQueue::new(MAX_LIVE_WORK);

/// Names whose dentries `->d_delete()` says to kill once unused (never
/// cached), so that tests can take that path of `put` and `dput()`.
pub(crate) const DROP_PREFIX: &[u8] = b"drop-";

/// Mount options being collected.
#[derive(Default)]
pub(crate) struct Options {
    shape: Shape,
    workers: u32,
    seed: u32,
    namelen: u32,
    linger: u32,
    scenario: u32,
    slow_kill: u32,
    reentry: u32,
    /// Bit `i` set once option `i` was given.
    seen: u32,
}

/// Per-superblock state.
pub(crate) struct SbData {
    shape: Shape,
    tag: u32,
    nworkers: u32,
    seed: u32,
    /// Non-zero: `child()` misbehaves and claims names this long.
    namelen: u32,
    /// Milliseconds each worker sleeps after it stopped, before it returns.
    linger: u32,
    /// Non-zero: the forced interleaving its workers run.
    scenario: u32,
    /// `reentry=1`: its `lookup()` of [`sound::REENTER`] and its first
    /// `child()` of a listing call back into the layer ([`sound::reenter`]).
    reentry: bool,
    workers: Arc<workers::Workers>,
}

/// Most `slow_kill=` takes, in microseconds.
pub(crate) const MAX_SLOW_KILL_US: u32 = 100_000;

/// Most `namelen=` takes: well past the 64-byte name buffer.
pub(crate) const MAX_NAMELEN: u32 = 65536;

impl FileSystem for RdcacheFs {
    const NAME: &'static CStr = NAME;
    const MAGIC: u32 = 0x7264_6366; // "rdcf"
    const PARAMS: &'static [&'static CStr] = &[
        c"depth",
        c"fanout",
        c"files",
        c"workers",
        c"seed",
        c"namelen",
        c"linger",
        c"scenario",
        c"slow_kill",
        c"reentry",
    ];
    type Options = Options;
    type Data = SbData;
    type DentryData = DentryWord;
    type InodeData = u32;

    fn set_param(fc: &FsContext<'_>, opts: &mut Options, opt: usize, value: u32) -> Result {
        let name = Self::PARAMS.get(opt).ok_or(EINVAL)?.to_str().unwrap_or("?");
        if opts.seen & (1 << opt) != 0 {
            return Err(fc.invalf(fmt!("option '{name}' given twice")));
        }
        opts.seen |= 1 << opt;
        let (slot, max) = match opt {
            0 => (&mut opts.shape.depth, shape::MAX_DEPTH),
            1 => (&mut opts.shape.fanout, shape::MAX_FANOUT),
            2 => (&mut opts.shape.files, shape::MAX_FILES),
            3 => (&mut opts.workers, workers::MAX_WORKERS),
            4 => (&mut opts.seed, u32::MAX),
            5 => (&mut opts.namelen, MAX_NAMELEN),
            6 => (&mut opts.linger, workers::MAX_LINGER_MS),
            7 => (&mut opts.scenario, scenario::MAX),
            8 => (&mut opts.slow_kill, MAX_SLOW_KILL_US),
            _ => (&mut opts.reentry, 1),
        };
        if value > max {
            return Err(fc.invalf(fmt!("option '{name}={value}' out of range 0..={max}")));
        }
        *slot = value;
        Ok(())
    }

    fn validate(fc: &FsContext<'_>, opts: &Options) -> Result {
        if opts.scenario > 0 && opts.workers > 0 {
            return Err(fc.invalf(fmt!(
                "scenario={} runs its own workers: drop workers={}",
                opts.scenario,
                opts.workers
            )));
        }
        if opts.scenario == scenario::DEFERRED_KILL && !scenario::HAS_DEFERRED_STEP {
            return Err(fc.invalf(fmt!(
                "scenario={} (deferred-kill) needs the deferred step, and this kernel exports dput_to_list(): put() keeps entries at once",
                opts.scenario
            )));
        }
        if opts.scenario > 0
            && (opts.shape.depth < 1 || opts.shape.fanout < 1 || opts.shape.files < 1)
        {
            return Err(fc.invalf(fmt!(
                "scenario={} needs d0 and f0: depth, fanout and files at least 1",
                opts.scenario
            )));
        }
        let s = opts.shape;
        if s.entries() > shape::MAX_ENTRIES {
            return Err(fc.invalf(fmt!(
                "depth={},fanout={},files={} describes {} entries, more than {}",
                s.depth,
                s.fanout,
                s.files,
                s.entries(),
                shape::MAX_ENTRIES
            )));
        }
        Ok(())
    }

    fn fill_super(opts: &Options) -> Result<SbData> {
        let s = opts.shape;
        let workers = workers::Workers::new()?;
        let Some(tag) = registry::new_superblock(opts.slow_kill) else {
            pr_err!(
                "mount: {} rdcachefs superblocks are mounted already\n",
                registry::MAX_SUPERBLOCKS
            );
            return Err(ENOSPC);
        };
        Ok(SbData {
            shape: s,
            tag,
            nworkers: opts.workers,
            seed: opts.seed,
            namelen: opts.namelen,
            linger: opts.linger,
            scenario: opts.scenario,
            reentry: opts.reentry != 0,
            workers,
        })
    }

    fn root(data: &SbData) -> Node {
        data.shape.root()
    }

    fn lookup(data: &SbData, dir: u64, name: &[u8]) -> Option<Node> {
        registry::count(data.tag, Counter::Lookups);
        if data.reentry && name == sound::REENTER {
            sound::reenter(&data.workers, "lookup()");
        }
        data.shape.lookup(dir, name)
    }

    fn child(
        data: &SbData,
        dir: u64,
        index: u64,
        name: &mut [u8; CHILD_NAME_MAX],
    ) -> Option<(usize, Node)> {
        if data.reentry && index == 0 {
            sound::reenter(&data.workers, "child()");
        }
        let (len, node) = data.shape.child(dir, index, name)?;
        if data.namelen == 0 {
            return Some((len, node));
        }
        // `namelen=N`: a misbehaving filesystem.  Fill the buffer after the
        // real name and claim `N` bytes; the layer must clamp it to the
        // buffer (a directory listing shows 64-byte names) and never copy
        // past it.
        name[len..].fill(b'x');
        Some((data.namelen as usize, node))
    }

    fn read(data: &SbData, file: u64, buf: &mut [u8]) -> usize {
        data.shape.content(file, buf)
    }

    fn dentry_data(data: &SbData, node: Option<&Node>) -> Result<Option<DentryWord>> {
        // A tag is 1..=MAX_TAG (`registry::new_superblock()`), so it fits
        // the 30 bits a `DentryWord` has at least: refuse the lookup if not,
        // rather than leave the dentry out of the counters.
        let w = word(data.tag, node.is_some_and(|n| n.dir));
        w.map(Some).ok_or(EOVERFLOW)
    }

    fn inode_data(data: &SbData, _node: &Node) -> Result<Option<u32>> {
        registry::count(data.tag, Counter::InodesAllocated);
        Ok(Some(data.tag))
    }

    fn d_iput(dentry: &DyingDentry<'_, Self>) {
        if let Some(w) = dentry.data() {
            registry::event(word_tag(w), Event::DIput);
        }
    }

    fn d_release(dentry: &DyingDentry<'_, Self>) {
        scenario::on_release();
        if let Some(w) = dentry.data() {
            registry::release(word_tag(w), word_dir(w), dentry);
        }
    }

    fn evict_inode(inode: &EvictingInode<'_, Self>) {
        if let Some(&tag) = inode.data() {
            registry::event(tag, Event::EvictInode);
        }
    }

    fn d_delete(dentry: &DeletingDentry<'_, Self>) -> bool {
        dentry.name().starts_with(DROP_PREFIX) || scenario::kill_on_delete()
    }

    fn mounted(data: &SbData, sb: WeakSuper<Self>) -> Result {
        data.workers.start(
            &sb,
            workers::Config {
                n: data.nworkers,
                shape: data.shape,
                tag: data.tag,
                seed: data.seed,
                linger: data.linger,
                scenario: data.scenario,
            },
        )
    }

    fn kill_sb_begin(data: &SbData) {
        registry::kill_sb_begin(data.tag, data.workers.is_worker(), data.workers.in_shrink());
        data.workers.stop();
    }

    fn kill_sb_end(data: SbData) {
        data.workers.teardown_done();
        registry::kill_sb_end(data.tag);
    }
}

/// Registers `rdcachefs` for the lifetime of the returned object.
pub(crate) fn register(module: &'static ThisModule) -> Result<fs_type::Registration<RdcacheFs>> {
    let reg = fs_type::Registration::new(&TYPE, module)?;
    pr_info!("rdcachefs: registered; ShrinkList::put() uses {PUT_PATH}\n");
    Ok(reg)
}

/// Which `ShrinkList::put()` the module was built with (rust/Kbuild decides):
/// the kernel's `dput_to_list()`, or the fallback for a kernel that keeps it
/// to `fs/` (stock 7.3).
pub(crate) const PUT_PATH: &str = if cfg!(rdc_dput_to_list) {
    "dput_to_list"
} else {
    "fallback"
};

/// Starts the module's workqueue; dropping the result destroys it.
pub(crate) fn start_queue() -> Result<QueueOwner> {
    QUEUE.start(c"rdcache")
}

#[cfg(CONFIG_KUNIT)]
mod tests;
