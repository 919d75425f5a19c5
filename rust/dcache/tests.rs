// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the dentry, superblock, mount and shrink-list
//! abstractions, over internal mounts of a small filesystem of their own.
//!
//! What a test cannot assert itself, its runner must: the kernel log of the
//! run must be clean (no "sleeping function called from invalid context",
//! no `BUG: Dentry ... still in use`, no KASAN report, no lockdep splat).

use super::{
    dentry::{may_take_d_lock, may_take_dir_locks},
    fs_type::{
        DeletingDentry, DyingDentry, EvictingInode, FileSystem, FsContext, Node, Registration,
        Type, CHILD_NAME_MAX,
    },
    Census, DentryRef, KernMount, PutResult, ShrinkList,
};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    ThisModule,
};
use pin_init::stack_pin_init;

/// The test filesystem: an empty root, built on by the tests with
/// [`DentryRef::create_child`]; `->lookup()` finds only `file-` names.
pub(crate) struct TestFs;

/// What [`may_take_d_lock`] said in the last `->d_delete()` of a `probe-`
/// name: 0 not called yet, 1 allowed, 2 refused.
static PROBE: Atomic<u32> = Atomic::new(0);

/// While set, [`TestFs`]'s `lookup()`, `d_release()`, `d_iput()` and
/// `evict_inode()` record what [`may_take_dir_locks`] said in them.
static DIR_PROBE: Atomic<bool> = Atomic::new(false);
/// Per callback (lookup, d_release, d_iput, evict_inode): times it ran with
/// the directory locks refused (listed), and times it ran with them allowed.
static DIR_PROBE_LISTED: [Atomic<u32>; 4] = [const { Atomic::new(0) }; 4];
static DIR_PROBE_UNLISTED: [Atomic<u32>; 4] = [const { Atomic::new(0) }; 4];

/// Records what [`may_take_dir_locks`] says in callback `i`, if probing.
fn dir_probe(i: usize) {
    if DIR_PROBE.load(Relaxed) {
        let seen = if may_take_dir_locks() {
            &DIR_PROBE_UNLISTED
        } else {
            &DIR_PROBE_LISTED
        };
        seen[i].fetch_add(1, Relaxed);
    }
}

/// The data [`TestFs`] gives the dentries its `->lookup()` makes (negative
/// ones: it finds nothing) and its root: counts how many are made, seen in
/// `->d_release()` and dropped.
pub(crate) struct Probe(u64);

/// The word of the root's [`Probe`], of negative dentries' and of the root
/// inode's data.
const ROOT_WORD: u64 = 0x600d_0001;
const NEGATIVE_WORD: u64 = 0x600d_0002;
const INODE_WORD: u64 = 0x600d_0003;

static PROBES_MADE: Atomic<u64> = Atomic::new(0);
static PROBES_RELEASED: Atomic<u64> = Atomic::new(0);
static PROBES_DROPPED: Atomic<u64> = Atomic::new(0);
static INODE_DATA_EVICTED: Atomic<u64> = Atomic::new(0);
static INODE_DATA_CALLS: Atomic<u64> = Atomic::new(0);
static INODES_EVICTED: Atomic<u64> = Atomic::new(0);

/// Which of [`TestFs`]'s hooks fail, for the error-path tests:
/// [`FAIL_ROOT_DATA`], [`FAIL_INODE_DATA`], [`FAIL_ROOT_FILE`].
static FAIL: Atomic<u32> = Atomic::new(0);
/// `dentry_data()` of the root fails.
const FAIL_ROOT_DATA: u32 = 1;
/// `inode_data()` fails.
const FAIL_INODE_DATA: u32 = 2;
/// `root()` gives a file.
const FAIL_ROOT_FILE: u32 = 4;
/// The errno the failing hooks give.
const HOOK_ERROR: Error = ENOSPC;

impl Drop for Probe {
    fn drop(&mut self) {
        PROBES_DROPPED.fetch_add(1, Relaxed);
    }
}

impl FileSystem for TestFs {
    const NAME: &'static CStr = c"rust_fs_test";
    const MAGIC: u32 = 0x7275_7374;
    const PARAMS: &'static [&'static CStr] = &[];
    type Options = ();
    type Data = ();
    type DentryData = KBox<Probe>;
    type InodeData = u64;

    fn set_param(_fc: &FsContext<'_>, _opts: &mut (), _opt: usize, _value: u32) -> Result {
        Err(EINVAL)
    }
    fn fill_super(_opts: &()) -> Result<()> {
        Ok(())
    }
    fn root(_data: &()) -> Node {
        Node {
            id: 0,
            dir: FAIL.load(Relaxed) & FAIL_ROOT_FILE == 0,
            size: 0,
        }
    }
    fn lookup(_data: &(), _dir: u64, name: &[u8]) -> Option<Node> {
        dir_probe(0);
        // Only the error-path tests look up `file-` names.
        name.starts_with(b"file-").then_some(Node {
            id: 1,
            dir: false,
            size: 0,
        })
    }
    fn child(
        _data: &(),
        _dir: u64,
        _index: u64,
        _name: &mut [u8; CHILD_NAME_MAX],
    ) -> Option<(usize, Node)> {
        None
    }
    fn read(_data: &(), _file: u64, _buf: &mut [u8]) -> usize {
        0
    }
    fn dentry_data(_data: &(), node: Option<&Node>) -> Result<Option<KBox<Probe>>> {
        if node.is_some_and(|n| n.dir) && FAIL.load(Relaxed) & FAIL_ROOT_DATA != 0 {
            return Err(HOOK_ERROR);
        }
        let word = if node.is_some() {
            ROOT_WORD
        } else {
            NEGATIVE_WORD
        };
        let p = KBox::new(Probe(word), GFP_KERNEL)?;
        PROBES_MADE.fetch_add(1, Relaxed);
        Ok(Some(p))
    }
    fn inode_data(_data: &(), _node: &Node) -> Result<Option<u64>> {
        INODE_DATA_CALLS.fetch_add(1, Relaxed);
        if FAIL.load(Relaxed) & FAIL_INODE_DATA != 0 {
            return Err(HOOK_ERROR);
        }
        Ok(Some(INODE_WORD))
    }
    fn d_release(dentry: &DyingDentry<'_, Self>) {
        dir_probe(1);
        if dentry.data().is_some() {
            PROBES_RELEASED.fetch_add(1, Relaxed);
        }
    }
    fn d_iput(_dentry: &DyingDentry<'_, Self>) {
        dir_probe(2);
    }
    fn evict_inode(inode: &EvictingInode<'_, Self>) {
        dir_probe(3);
        INODES_EVICTED.fetch_add(1, Relaxed);
        if inode.data() == Some(&INODE_WORD) {
            INODE_DATA_EVICTED.fetch_add(1, Relaxed);
        }
    }
    fn d_delete(dentry: &DeletingDentry<'_, Self>) -> bool {
        if dentry.name().starts_with(b"probe-") {
            PROBE.store(if may_take_d_lock() { 1 } else { 2 }, Relaxed);
        }
        false
    }
    fn kill_sb_begin(_data: &()) {}
    fn kill_sb_end(_data: ()) {}
}

/// The owner of the test types: the module the layer is built into, or the
/// kernel crate's own (the null `THIS_MODULE` of built-in code).
fn owner() -> &'static ThisModule {
    kernel::module::this_module::<crate::LocalModule>()
}

/// Registers `ty`, mounts it, and runs `f` on the root, pinned.
pub(crate) fn with_root_of(
    ty: &'static Type<TestFs>,
    f: impl FnOnce(&mut DentryRef<'_, TestFs>) -> Result,
) -> Result {
    let _reg = Registration::new(ty, owner())?;
    let mnt = KernMount::new(ty, None)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let mut root = pin.root();
    f(&mut root)
}

/// `with_root_of()` with a static type of its own: a [`Type`] is registered
/// once, so every use needs its own.
macro_rules! with_root {
    ($f:expr) => {{
        static TYPE: Type<TestFs> = Type::new();
        with_root_of(&TYPE, $f)
    }};
}

/// Whether `name` is a cached child of `dir`, seen under `dir`'s `d_lock`
/// (takes no reference, so it disturbs nothing).
/// `EBUSY` if the guard is refused (a test holds one already).
pub(crate) fn cached<T: FileSystem>(dir: &mut DentryRef<'_, T>, name: &[u8]) -> Result<bool> {
    let guard = dir.lock_children().ok_or(EBUSY)?;
    let found = guard.iter().any(|c| c.name() == name);
    Ok(found)
}

/// The count of the cached child `name` of `dir`, if any.
fn count_of<T: FileSystem>(dir: &mut DentryRef<'_, T>, name: &[u8]) -> Result<Option<i32>> {
    let guard = dir.lock_children().ok_or(EBUSY)?;
    let count = guard
        .iter()
        .find(|c| c.name() == name)
        .map(|c| c.dentry().count());
    Ok(count)
}

/// Whether the cached child `name` of `dir` is unused and on the LRU.
pub(crate) fn on_lru<T: FileSystem>(dir: &mut DentryRef<'_, T>, name: &[u8]) -> Result<bool> {
    let guard = dir.lock_children().ok_or(EBUSY)?;
    let lru = guard
        .iter()
        .find(|c| c.name() == name)
        .is_some_and(|c| c.dentry().count() == 0 && c.dentry().is_on_lru());
    Ok(lru)
}

/// Whether the cached child `name` of `dir` is unused, on the LRU and
/// marked referenced (`retain_dentry()`'s second chance).
pub(crate) fn referenced<T: FileSystem>(dir: &mut DentryRef<'_, T>, name: &[u8]) -> Result<bool> {
    let guard = dir.lock_children().ok_or(EBUSY)?;
    let r = guard.iter().find(|c| c.name() == name).is_some_and(|c| {
        let d = c.dentry();
        d.count() == 0 && d.is_on_lru() && !d.is_on_shrink_list() && d.is_referenced()
    });
    Ok(r)
}

/// A census of `entries` entries, `husks` of them husks and `in_use` in use.
fn census(entries: usize, husks: usize, in_use: usize) -> Census {
    Census {
        entries,
        husks,
        in_use,
        // rdcache-only {
        deferred: 0,
        deferred_in_use: 0,
        // } rdcache-only
    }
}

#[kernel::macros::kunit_tests(rust_fs_dcache)]
mod dcache {
    use super::*;

    #[test]
    fn a_static_type_is_registered_once() -> Result {
        static TYPE: Type<TestFs> = Type::new();
        let first = Registration::new(&TYPE, owner())?;
        assert!(TYPE.is_registered());
        // A second registration is refused, and the first one stays.
        assert_eq!(Registration::new(&TYPE, owner()).err(), Some(EBUSY));
        assert!(TYPE.is_registered());
        drop(KernMount::new(&TYPE, None)?);
        drop(first);
        assert!(!TYPE.is_registered());
        // Once unregistered, never again.
        assert_eq!(Registration::new(&TYPE, owner()).err(), Some(EBUSY));
        Ok(())
    }

    /// Counts of data made and dropped, inodes made and evicted, now.
    fn balance() -> [u64; 4] {
        [
            PROBES_MADE.load(Relaxed),
            PROBES_DROPPED.load(Relaxed),
            INODE_DATA_CALLS.load(Relaxed),
            INODES_EVICTED.load(Relaxed),
        ]
    }

    /// Asserts that since `before` as many data were dropped as made, and
    /// as many inodes the layer made (`inode_data()` calls) were evicted.
    fn balanced(before: [u64; 4]) {
        let now = balance();
        assert_eq!(now[0] - before[0], now[1] - before[1]);
        assert_eq!(now[2] - before[2], now[3] - before[3]);
    }

    #[test]
    fn failed_data_hooks_leak_nothing() -> Result {
        // The root's dentry data fails: the mount fails with its error, the
        // root inode is evicted.
        static ROOT: Type<TestFs> = Type::new();
        let before = balance();
        FAIL.store(FAIL_ROOT_DATA, Relaxed);
        let r = with_root_of(&ROOT, |_| Ok(()));
        FAIL.store(0, Relaxed);
        assert_eq!(r.err(), Some(HOOK_ERROR));
        assert_eq!(balance()[2] - before[2], 1);
        balanced(before);

        // The root inode's data fails: the mount fails, the inode is evicted.
        static INODE: Type<TestFs> = Type::new();
        let before = balance();
        FAIL.store(FAIL_INODE_DATA, Relaxed);
        let r = with_root_of(&INODE, |_| Ok(()));
        FAIL.store(0, Relaxed);
        assert_eq!(r.err(), Some(HOOK_ERROR));
        assert_eq!(balance()[2] - before[2], 1);
        balanced(before);

        // A lookup whose inode's data fails: the lookup fails, the dentry
        // (which got its data first) and the inode are gone by umount.
        let before = balance();
        with_root!(|root| {
            FAIL.store(FAIL_INODE_DATA, Relaxed);
            let r = root.lookup(c"file-1");
            FAIL.store(0, Relaxed);
            assert_eq!(r.err(), Some(HOOK_ERROR));
            // The same name then looks up fine.
            let ok = root.lookup(c"file-1")?;
            assert!(ok.inode().is_some_and(|i| i.data() == Some(&INODE_WORD)));
            Ok(())
        })?;
        balanced(before);
        Ok(())
    }

    #[test]
    fn a_root_that_is_not_a_directory_fails_the_mount_with_einval() -> Result {
        // Refused before any inode is made (`d_make_root()` wants a
        // directory; `graft_tree()` would refuse every mount of it later).
        static FILE_ROOT: Type<TestFs> = Type::new();
        let before = balance();
        FAIL.store(FAIL_ROOT_FILE, Relaxed);
        let r = with_root_of(&FILE_ROOT, |_| Ok(()));
        FAIL.store(0, Relaxed);
        assert_eq!(r.err(), Some(EINVAL));
        assert_eq!(balance()[2] - before[2], 0);
        balanced(before);
        Ok(())
    }

    #[test]
    fn dentry_and_inode_data_are_set_read_and_dropped_once() -> Result {
        let made = PROBES_MADE.load(Relaxed);
        let released = PROBES_RELEASED.load(Relaxed);
        let dropped = PROBES_DROPPED.load(Relaxed);
        let evicted = INODE_DATA_EVICTED.load(Relaxed);
        with_root!(|root| {
            // The root's, from `fill_super`, and its inode's.
            assert_eq!(root.data().map(|p| p.0), Some(ROOT_WORD));
            assert_eq!(
                root.inode().and_then(|i| i.data().copied()),
                Some(INODE_WORD)
            );
            // A lookup's (negative) dentry has its own.
            let neg = root.lookup(c"absent")?;
            assert!(neg.inode().is_none());
            assert_eq!(neg.data().map(|p| p.0), Some(NEGATIVE_WORD));
            assert_eq!(neg.clone().data().map(|p| p.0), Some(NEGATIVE_WORD));
            // What the layer did not look up has none, nor has its inode.
            let made_here = root.create_child(c"made", false)?;
            assert!(made_here.data().is_none());
            assert!(made_here.inode().is_some_and(|i| i.data().is_none()));
            // Two made; none dropped while referenced.
            assert_eq!(PROBES_MADE.load(Relaxed) - made, 2);
            assert_eq!(PROBES_DROPPED.load(Relaxed), dropped);
            drop(neg);
            drop(made_here);
            Ok(())
        })?;
        // Umount killed both: each seen once by `d_release()`, then dropped
        // once; the root inode's data was there at eviction.
        assert_eq!(PROBES_MADE.load(Relaxed) - made, 2);
        assert_eq!(PROBES_RELEASED.load(Relaxed) - released, 2);
        assert_eq!(PROBES_DROPPED.load(Relaxed) - dropped, 2);
        assert_eq!(INODE_DATA_EVICTED.load(Relaxed) - evicted, 1);
        Ok(())
    }

    // What `put()` says of a reference `dput_to_list()` does not put on
    // the list: it does not say why.
    #[cfg(rdc_dput_to_list)]
    const NOT_LAST: PutResult = PutResult::Released;
    #[cfg(rdc_dput_to_list)]
    const KEPT_NEW: PutResult = PutResult::Released;
    #[cfg(rdc_dput_to_list)]
    const KEPT_ON_LRU: PutResult = PutResult::Released;
    #[cfg(rdc_dput_to_list)]
    const ON_OTHER_LIST: PutResult = PutResult::Released;
    // rdcache-only {
    // The fallback for a kernel that keeps `dput_to_list()` to `fs/` says why.
    #[cfg(not(rdc_dput_to_list))]
    const NOT_LAST: PutResult = PutResult::Dropped;
    #[cfg(not(rdc_dput_to_list))]
    const KEPT_NEW: PutResult = PutResult::Deferred;
    #[cfg(not(rdc_dput_to_list))]
    const KEPT_ON_LRU: PutResult = PutResult::Cached;
    #[cfg(not(rdc_dput_to_list))]
    const ON_OTHER_LIST: PutResult = PutResult::OtherList;
    // } rdcache-only

    #[test]
    fn non_last_put_keeps_dentry_cached() -> Result {
        with_root!(|root| {
            let d = root.create_child(c"a", true)?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d.clone()), NOT_LAST);
            assert!(list.is_empty());
            assert_eq!(d.count(), 1);
            drop(d);
            // The last reference went through dput(): cached, unused, on the LRU.
            assert_eq!(count_of(root, b"a")?, Some(0));
            Ok(())
        })
    }

    #[test]
    fn last_put_of_an_unhashed_dentry_is_listed_and_only_shrink_kills() -> Result {
        with_root!(|root| {
            let d = root.create_child(c"b", false)?;
            d.d_invalidate();
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Listed);
            assert!(!list.is_empty());
            // On the list, unused, and still there: nothing killed it yet.
            assert_eq!(count_of(root, b"b")?, Some(0));
            list.as_mut().shrink();
            assert!(list.is_empty());
            assert!(!cached(root, b"b")?);
            Ok(())
        })
    }

    #[test]
    fn dentry_on_another_list_stays_with_its_owner() -> Result {
        with_root!(|root| {
            drop(root.create_child(c"c", true)?);
            stack_pin_init!(let a = ShrinkList::new());
            stack_pin_init!(let b = ShrinkList::new());
            {
                let mut guard = root.lock_children().ok_or(EBUSY)?;
                let locked = guard.lock_child(|c| c.name() == b"c").ok_or(ENOENT)?;
                assert!(a.as_mut().move_to_list(&locked));
                // Already on `a`: `b` must not take it (rule 2).
                assert!(!b.as_mut().move_to_list(&locked));
            }
            // A counted reference to it, put into `b`, leaves it with `a` too.
            let r = root.try_lookup(c"c")?.ok_or(ENOENT)?;
            assert!(r.is_on_shrink_list());
            assert_eq!(b.as_mut().put(r), ON_OTHER_LIST);
            assert!(b.is_empty());
            assert!(!a.is_empty());
            a.as_mut().shrink();
            assert!(!cached(root, b"c")?);
            Ok(())
        })
    }

    #[test]
    fn census_counts_an_entry_found_again_as_in_use() -> Result {
        with_root!(|root| {
            let d = root.create_child(c"r", true)?;
            // Hashed but not to be cached: listed, and still findable.
            d.mark_dontcache()?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Listed);
            let idle = census(1, 0, 0);
            assert_eq!(list.census(), idle);
            // A lookup finds the listed entry: on the list, and in use.
            let again = root.try_lookup(c"r")?.ok_or(ENOENT)?;
            assert!(again.is_on_shrink_list());
            assert_eq!(list.census(), Census { in_use: 1, ..idle });
            // shrink() only takes it off, alive: still referenced, still
            // cached, until its holder's dput() kills it.
            list.as_mut().shrink();
            assert!(list.is_empty());
            assert!(!again.is_on_shrink_list());
            assert_eq!(again.count(), 1);
            drop(again);
            assert!(!cached(root, b"r")?);
            Ok(())
        })
    }

    #[test]
    fn retain_killed_leaf_prunes_unused_ancestors_in_the_same_shrink() -> Result {
        with_root!(|root| {
            let p1 = root.create_child(c"p1", true)?;
            let p2 = p1.create_child(c"p2", true)?;
            let p3 = p2.create_child(c"p3", false)?;
            // Only the leaf is referenced now; its ancestors are held by their
            // children alone.
            drop(p2);
            drop(p1);
            // Not to be cached: its last put takes the kill path.
            p3.mark_dontcache()?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(p3), PutResult::Listed);
            list.as_mut().shrink();
            assert!(list.is_empty());
            assert!(!cached(root, b"p1")?);
            Ok(())
        })
    }

    #[test]
    fn put_under_a_spinlock_does_not_sleep() -> Result {
        with_root!(|root| {
            let last = root.create_child(c"s1", false)?;
            let kept = root.create_child(c"s2", false)?;
            let other = kept.clone();
            let doomed = root.create_child(c"s3", false)?;
            doomed.d_invalidate();
            drop(root.create_child(c"s4", false)?);
            // Cached and on the LRU: its next last put keeps it at once.
            let on_the_lru = root.try_lookup(c"s4")?.ok_or(ENOENT)?;
            stack_pin_init!(let lock = new_spinlock!(0u32, "rust_fs_dcache::lock"));
            stack_pin_init!(let list = ShrinkList::new());
            {
                let mut guard = lock.lock();
                *guard += 1;
                // With DEBUG_ATOMIC_SLEEP any sleep here is reported in the log,
                // which the harness turns into a failure.  `s1` is hashed and
                // not on the LRU yet: its last put puts it there.
                assert_eq!(list.as_mut().put(last), KEPT_NEW);
                assert_eq!(list.as_mut().put(other), NOT_LAST);
                assert_eq!(list.as_mut().put(doomed), PutResult::Listed);
                assert_eq!(list.as_mut().put(on_the_lru), KEPT_ON_LRU);
            }
            list.as_mut().shrink();
            assert!(on_lru(root, b"s1")?);
            assert!(cached(root, b"s2")?);
            assert!(!cached(root, b"s3")?);
            // Its second last put found it on the LRU: marked referenced,
            // as retain_dentry() marks it.
            assert!(referenced(root, b"s4")?);
            drop(kept);
            Ok(())
        })
    }

    #[test]
    fn umount_leaves_husks_that_shrink_frees() -> Result {
        static TYPE: Type<TestFs> = Type::new();
        let reg = Registration::new(&TYPE, owner())?;
        stack_pin_init!(let list = ShrinkList::new());
        {
            let mnt = KernMount::new(&TYPE, None)?;
            let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
            let root = pin.root();
            let d = root.create_child(c"h", true)?;
            let e = d.create_child(c"h2", false)?;
            let f = d.create_child(c"h3", false)?;
            f.d_invalidate();
            e.mark_dontcache()?;
            // Two entries to kill, one hashed and one not: umount takes both.
            assert_eq!(list.as_mut().put(e), PutResult::Listed);
            assert_eq!(list.as_mut().put(f), PutResult::Listed);
            drop(d);
            drop(root);
            drop(pin);
            // kern_unmount(): ->kill_sb() runs here, and umount kills our
            // entries itself, leaving their husks on our list.
            drop(mnt);
        }
        assert!(!list.is_empty());
        assert_eq!(list.census(), census(2, 2, 0));
        list.as_mut().shrink();
        assert!(list.is_empty());
        drop(reg);
        Ok(())
    }

    #[test]
    fn dropping_a_non_empty_list_disposes_of_it() -> Result {
        with_root!(|root| {
            let d = root.create_child(c"dr", false)?;
            let k = root.create_child(c"dk", false)?;
            k.d_invalidate();
            {
                stack_pin_init!(let list = ShrinkList::new());
                assert_eq!(list.as_mut().put(d), KEPT_NEW);
                assert_eq!(list.as_mut().put(k), PutResult::Listed);
            }
            assert!(on_lru(root, b"dr")?);
            assert!(!cached(root, b"dk")?);
            Ok(())
        })
    }

    #[test]
    fn create_child_and_lookups_refuse_bad_names_and_unlinked_directories() -> Result {
        with_root!(|root| {
            for bad in [c"", c".", c"..", c"a/b"] {
                assert_eq!(root.create_child(bad, false).err(), Some(EINVAL));
            }
            let long = [b'n'; 257];
            let mut z = long;
            z[256] = 0;
            let long = CStr::from_bytes_with_nul(&z).map_err(|_| EINVAL)?;
            assert_eq!(root.create_child(long, false).err(), Some(ENAMETOOLONG));
            // Lookups refuse it the same way, before asking the dcache.
            assert_eq!(root.try_lookup(long).err(), Some(ENAMETOOLONG));
            assert_eq!(root.lookup(long).err(), Some(ENAMETOOLONG));
            // NAME_MAX bytes exactly is a name.
            let mut max = [b'm'; 256];
            max[255] = 0;
            let max = CStr::from_bytes_with_nul(&max).map_err(|_| EINVAL)?;
            assert!(root.try_lookup(max)?.is_none());
            drop(root.create_child(max, false)?);
            let dir = root.create_child(c"gone", true)?;
            dir.d_invalidate();
            assert_eq!(dir.create_child(c"x", false).err(), Some(ENOENT));
            let file = root.create_child(c"plain", false)?;
            assert_eq!(file.create_child(c"x", false).err(), Some(ENOTDIR));
            Ok(())
        })
    }

    #[test]
    fn layer_calls_in_a_d_delete_callback_are_refused() -> Result {
        with_root!(|root| {
            assert!(may_take_d_lock());
            // Its last dput() asks ->d_delete() under its d_lock.
            drop(root.create_child(c"probe-1", false)?);
            assert_eq!(PROBE.load(Relaxed), 2);
            // The mark ends with the callback.
            assert!(may_take_d_lock());
            Ok(())
        })
    }

    #[test]
    fn callbacks_that_may_run_under_a_directory_lock_refuse_taking_one() -> Result {
        let zero = || {
            for s in DIR_PROBE_LISTED.iter() {
                s.store(0, Relaxed);
            }
            for s in DIR_PROBE_UNLISTED.iter() {
                s.store(0, Relaxed);
            }
        };
        zero();
        with_root!(|root| {
            assert!(may_take_dir_locks());
            DIR_PROBE.store(true, Relaxed);
            // `->lookup()` (a negative dentry), then a child killed:
            // `->d_iput()`, `->evict_inode()` (from its `iput()`) and
            // `->d_release()`.
            let looked = root.lookup(c"dir-probe-1");
            let made = root.create_child(c"dir-probe-2", false);
            drop(made);
            root.shrink_dcache_parent();
            DIR_PROBE.store(false, Relaxed);
            assert!(looked.is_ok_and(|d| d.inode().is_none()));
            // Outside them, allowed again.
            assert!(may_take_dir_locks());
            Ok(())
        })?;
        for (i, name) in ["lookup", "d_release", "d_iput", "evict_inode"]
            .iter()
            .enumerate()
        {
            let listed = DIR_PROBE_LISTED[i].load(Relaxed);
            let unlisted = DIR_PROBE_UNLISTED[i].load(Relaxed);
            if listed == 0 || unlisted != 0 {
                pr_err!("{name}: {listed} run(s) listed, {unlisted} unlisted\n");
            }
            assert!(listed > 0 && unlisted == 0);
        }
        zero();
        Ok(())
    }

    #[test]
    fn lock_child_locks_the_picked_child_only() -> Result {
        with_root!(|root| {
            drop(root.create_child(c"l1", false)?);
            drop(root.create_child(c"l2", false)?);
            let mut guard = root.lock_children().ok_or(EBUSY)?;
            {
                let l1 = guard.lock_child(|c| c.name() == b"l1").ok_or(ENOENT)?;
                assert_eq!(l1.name(), b"l1");
                assert_eq!(l1.count(), 0);
            }
            // The first is unlocked: the second can be locked in turn.
            let l2 = guard.lock_child(|c| c.name() == b"l2").ok_or(ENOENT)?;
            assert_eq!(l2.name(), b"l2");
            drop(l2);
            assert!(guard.lock_child(|c| c.name() == b"none").is_none());
            Ok(())
        })
    }

    /// `RUST_REF_SATURATE` and `RUST_REF_SATURATED` (helpers/dcache.c); the
    /// test below fails if C's differ.
    const SATURATE: i32 = 1 << 30;
    const SATURATED: i32 = 3 << 29;

    /// Leaked references saturate a dentry's, an inode's and a superblock's
    /// count instead of wrapping it: otherwise 2^32 `mem::forget()`s of
    /// clones, all safe, would bring the count back to zero under live
    /// references, and the next drop would free what they point to.  Each
    /// count is set near the limit (a stand-in for 2^30 leaks, which a loop
    /// would take minutes to make), then references are taken, leaked,
    /// dropped and put in every way the layer offers: below the limit each
    /// counts; from it on, the count is set to the saturated value and
    /// neither moves nor falls.  The old counts are set back, so nothing
    /// leaks.
    #[test]
    fn leaked_references_saturate_counts_instead_of_wrapping() -> Result {
        with_root!(|root| {
            let d = root.create_child(c"sat", false)?;
            // SAFETY: Set back below, before `d` and `below` are dropped; `d`
            // keeps the dentry from being killed meanwhile.
            let old = unsafe { d.test_set_count(SATURATE - 1) };
            // Below the limit, a reference counts.
            let below = d.clone();
            assert_eq!(d.count(), SATURATE);
            // At it, the count saturates, and nothing counts any more.
            let at = d.clone();
            assert_eq!(d.count(), SATURATED);
            for _ in 0..1000 {
                core::mem::forget(d.clone());
            }
            // A count a C call gives (a lookup's) is taken back.  No `?`
            // while the count is set by hand: an early return would leave
            // it there (the dentry busy at umount).
            let mut looked_up = 0;
            for _ in 0..10 {
                if let Ok(l) = root.lookup(c"sat") {
                    core::mem::forget(l);
                    looked_up += 1;
                }
            }
            assert_eq!(d.count(), SATURATED);
            // Nothing is given back: a drop, a put into a shrink list.
            drop(at);
            if let Ok(l) = root.lookup(c"sat") {
                drop(l);
                looked_up += 1;
            }
            stack_pin_init!(let list = ShrinkList::new());
            let put = list.as_mut().put(d.clone());
            assert!(put != PutResult::Listed && put != PutResult::Refused);
            list.as_mut().shrink();
            // SAFETY: `d` and `below` are the only counted references left.
            assert_eq!(unsafe { d.test_set_count(old + 1) }, SATURATED);
            drop(below);
            assert_eq!(d.count(), old);
            assert_eq!(looked_up, 11);

            let inode = d.inode().ok_or(ENOENT)?;
            // SAFETY: Set back below, before `inode` is dropped; `d`'s alias
            // and `inode` keep the inode meanwhile.
            let old = unsafe { inode.test_set_count(SATURATE) };
            let at = d.inode().ok_or(ENOENT)?;
            for _ in 0..1000 {
                core::mem::forget(d.inode());
            }
            drop(at);
            // SAFETY: `d`'s alias and `inode` are the only counted ones left.
            assert_eq!(unsafe { inode.test_set_count(old) }, SATURATED);
            drop(inode);

            let sb = root.sb();
            // SAFETY: Set back below; the test's mount and pin keep the
            // superblock up meanwhile, and nothing drops them.
            let old = unsafe { sb.test_set_active(SATURATE) };
            let at = sb.try_activate();
            let activated = at.is_some();
            for _ in 0..1000 {
                core::mem::forget(sb.try_activate());
            }
            drop(at);
            // SAFETY: The mount's and the pin's are the only counted ones left.
            assert_eq!(unsafe { sb.test_set_active(old) }, SATURATED);
            assert!(activated);
            Ok(())
        })
    }

    // rdcache-only {
    /// A `DputBatch` (the benchmarks' C loop, `peer.rs`) checks each entry
    /// for a saturated count just before it gives it back, as a drop does:
    /// an entry counted when the batch was made gives nothing back once the
    /// count has saturated.  Checked only when the batch was made, 2^29
    /// such entries would bring a saturated count back below the limit
    /// under references that were never counted.
    #[test]
    fn a_batch_gives_back_nothing_once_the_count_saturated() -> Result {
        with_root!(|root| {
            let d = root.create_child(c"sat-batch", false)?;
            // Two batches, made before the count is set by hand (so that no
            // `?` can return while it is): each entry is counted.
            let mut v = VVec::new();
            v.push(d.clone(), GFP_KERNEL)?;
            let run = crate::dcache::peer::DputBatch::new(&mut v)?;
            v.push(d.clone(), GFP_KERNEL)?;
            let dropped = crate::dcache::peer::DputBatch::new(&mut v)?;
            // SAFETY: Set back below, before `d` is dropped; `d` keeps the
            // dentry from being killed meanwhile.
            let old = unsafe { d.test_set_count(SATURATE - 1) };
            let last = d.clone();
            assert_eq!(d.count(), SATURATE);
            let at = d.clone();
            assert_eq!(d.count(), SATURATED);
            // The batches' entries, counted when they were made, give
            // nothing back now: one batch run, one dropped.
            run.run();
            drop(dropped);
            drop(last);
            drop(at);
            // SAFETY: `d` is the only counted reference left; the batches'
            // two counts are in `old`, and gone.
            assert_eq!(unsafe { d.test_set_count(old - 2) }, SATURATED);
            Ok(())
        })
    }
    // } rdcache-only

    #[test]
    fn a_second_children_guard_is_refused() -> Result {
        with_root!(|root| {
            let mut a = root.create_child(c"g1", true)?;
            let mut b = root.create_child(c"g2", true)?;
            let guard = a.lock_children().ok_or(EINVAL)?;
            // Two directory locks would nest in one lock class.
            assert!(b.lock_children().is_none());
            assert!(root.lock_children().is_none());
            drop(guard);
            assert!(b.lock_children().is_some());
            Ok(())
        })
    }
}
