// SPDX-License-Identifier: GPL-2.0

//! KUnit suite for the dcache layer's shrink lists, over dentries of internal
//! mounts of `rdcachefs`.  Each test mounts its own superblock.
//!
//! What a test cannot assert itself, the harness does: every test's kernel
//! log must be clean (no "sleeping function called from invalid context",
//! no `BUG: Dentry ... still in use`, no KASAN), or the test fails.

use super::{registry, registry::Counter, RdcacheFs};
use crate::dcache::{dentry::DentryName, Census, DentryRef, KernMount, PutResult, ShrinkList};
use kernel::{new_spinlock, prelude::*};
use pin_init::stack_pin_init;

/// Runs `f` on the root of a fresh internal mount of `rdcachefs`, pinned,
/// with the superblock's tag.
fn with_root_tag(f: impl FnOnce(&mut DentryRef<'_, RdcacheFs>, u32) -> Result) -> Result {
    let mnt = KernMount::new(&super::TYPE, None)?;
    // KUnit runs the suites one test at a time: the newest live superblock is ours.
    let tag = registry::last_live().ok_or(EINVAL)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let mut root = pin.root();
    f(&mut root, tag)
}

/// Runs `f` on the root of a fresh internal mount of `rdcachefs`, pinned.
fn with_root(f: impl FnOnce(&mut DentryRef<'_, RdcacheFs>) -> Result) -> Result {
    with_root_tag(|root, _| f(root))
}

/// Whether `name` is a cached child of `dir`, seen under `dir`'s `d_lock`
/// (takes no reference, so it disturbs nothing).
/// `EBUSY` if the guard is refused (a test holds one already).
fn cached(dir: &mut DentryRef<'_, RdcacheFs>, name: &[u8]) -> Result<bool> {
    let guard = dir.lock_children().ok_or(EBUSY)?;
    let found = guard.iter().any(|c| c.name() == name);
    Ok(found)
}

/// The count of the cached child `name` of `dir`, if any.
fn count_of(dir: &mut DentryRef<'_, RdcacheFs>, name: &[u8]) -> Result<Option<i32>> {
    let guard = dir.lock_children().ok_or(EBUSY)?;
    let count = guard
        .iter()
        .find(|c| c.name() == name)
        .map(|c| c.dentry().count());
    Ok(count)
}

/// Whether the cached child `name` of `dir` is unused and on the LRU.
fn on_lru(dir: &mut DentryRef<'_, RdcacheFs>, name: &[u8]) -> Result<bool> {
    let guard = dir.lock_children().ok_or(EBUSY)?;
    let lru = guard
        .iter()
        .find(|c| c.name() == name)
        .is_some_and(|c| c.dentry().count() == 0 && c.dentry().is_on_lru());
    Ok(lru)
}

#[kernel::macros::kunit_tests(rdcache_shrink_list)]
mod shrink_list {
    use super::*;

    #[test]
    fn non_last_put_keeps_dentry_cached() -> Result {
        with_root(|root| {
            let d = root.create_child(c"a", true)?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d.clone()), PutResult::Dropped);
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
        with_root(|root| {
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
        with_root(|root| {
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
            assert_eq!(b.as_mut().put(r), PutResult::OtherList);
            assert!(b.is_empty());
            assert!(!a.is_empty());
            a.as_mut().shrink();
            assert!(!cached(root, b"c")?);
            Ok(())
        })
    }

    #[test]
    fn census_counts_an_entry_found_again_as_in_use() -> Result {
        with_root(|root| {
            let d = root.create_child(c"r", true)?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Deferred);
            let idle = Census {
                entries: 1,
                husks: 0,
                in_use: 0,
            };
            assert_eq!(list.census(), idle);
            // A lookup finds the deferred entry: on the list, and in use.
            let again = root.try_lookup(c"r")?.ok_or(ENOENT)?;
            assert!(again.is_on_shrink_list());
            assert_eq!(list.census(), Census { in_use: 1, ..idle });
            // shrink() takes it off alive: still referenced, still cached.
            assert_eq!(list.as_mut().shrink(), 1);
            assert!(list.is_empty());
            assert!(!again.is_on_shrink_list());
            assert_eq!(again.count(), 1);
            drop(again);
            assert!(on_lru(root, b"r")?);
            Ok(())
        })
    }

    #[test]
    fn retain_killed_leaf_prunes_unused_ancestors_in_the_same_shrink() -> Result {
        with_root(|root| {
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
        with_root(|root| {
            let last = root.create_child(c"s1", false)?;
            let kept = root.create_child(c"s2", false)?;
            let other = kept.clone();
            let doomed = root.create_child(c"s3", false)?;
            doomed.d_invalidate();
            drop(root.create_child(c"s4", false)?);
            // Cached and on the LRU: its next last put keeps it at once.
            let on_the_lru = root.try_lookup(c"s4")?.ok_or(ENOENT)?;
            stack_pin_init!(let lock = new_spinlock!(0u32, "rdcache_test_lock"));
            stack_pin_init!(let list = ShrinkList::new());
            {
                let mut guard = lock.lock();
                *guard += 1;
                // With DEBUG_ATOMIC_SLEEP any sleep here is reported in the log,
                // which the harness turns into a failure.  `s1` is hashed and
                // not on the LRU yet: its last put is deferred to `shrink()`.
                assert_eq!(list.as_mut().put(last), PutResult::Deferred);
                assert_eq!(list.as_mut().put(other), PutResult::Dropped);
                assert_eq!(list.as_mut().put(doomed), PutResult::Listed);
                assert_eq!(list.as_mut().put(on_the_lru), PutResult::Cached);
            }
            assert_eq!(list.as_mut().shrink(), 1);
            assert!(on_lru(root, b"s1")?);
            assert!(cached(root, b"s2")?);
            assert!(!cached(root, b"s3")?);
            assert!(on_lru(root, b"s4")?);
            drop(kept);
            Ok(())
        })
    }

    #[test]
    fn umount_leaves_husks_that_shrink_frees() -> Result {
        stack_pin_init!(let list = ShrinkList::new());
        {
            let mnt = KernMount::new(&super::super::TYPE, None)?;
            let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
            let root = pin.root();
            let d = root.create_child(c"h", true)?;
            let e = d.create_child(c"h2", false)?;
            let f = d.create_child(c"h3", false)?;
            f.d_invalidate();
            // One deferred entry, one to kill: umount takes both.
            assert_eq!(list.as_mut().put(e), PutResult::Deferred);
            assert_eq!(list.as_mut().put(f), PutResult::Listed);
            drop(d);
            drop(root);
            drop(pin);
            // kern_unmount(): ->kill_sb() runs here, and umount kills our
            // entries itself, leaving their husks on our list.
            drop(mnt);
        }
        assert!(!list.is_empty());
        assert_eq!(
            list.census(),
            Census {
                entries: 2,
                husks: 2,
                in_use: 0
            }
        );
        assert_eq!(list.as_mut().shrink(), 0);
        assert!(list.is_empty());
        Ok(())
    }

    #[test]
    fn dropping_a_non_empty_list_disposes_of_it() -> Result {
        with_root(|root| {
            let d = root.create_child(c"dr", false)?;
            let k = root.create_child(c"dk", false)?;
            k.d_invalidate();
            {
                stack_pin_init!(let list = ShrinkList::new());
                assert_eq!(list.as_mut().put(d), PutResult::Deferred);
                assert_eq!(list.as_mut().put(k), PutResult::Listed);
            }
            assert!(on_lru(root, b"dr")?);
            assert!(!cached(root, b"dk")?);
            Ok(())
        })
    }

    #[test]
    fn create_child_refuses_bad_names_and_unlinked_directories() -> Result {
        with_root(|root| {
            for bad in [c"", c".", c"..", c"a/b"] {
                assert_eq!(root.create_child(bad, false).err(), Some(EINVAL));
            }
            let long = [b'n'; 257];
            let mut z = long;
            z[256] = 0;
            let long = CStr::from_bytes_with_nul(&z).map_err(|_| EINVAL)?;
            assert_eq!(root.create_child(long, false).err(), Some(EINVAL));
            let dir = root.create_child(c"gone", true)?;
            dir.d_invalidate();
            assert_eq!(dir.create_child(c"x", false).err(), Some(ENOENT));
            let file = root.create_child(c"plain", false)?;
            assert_eq!(file.create_child(c"x", false).err(), Some(ENOTDIR));
            Ok(())
        })
    }

    #[test]
    fn a_static_type_is_registered_once() -> Result {
        // Module init registered it; a second registration is refused, and
        // the first one stays (a mount still works).
        let again = crate::dcache::fs_type::Registration::new(
            &super::super::TYPE,
            &<crate::Rdcache as kernel::ModuleMetadata>::THIS_MODULE,
        );
        assert_eq!(again.err(), Some(EBUSY));
        assert!(super::super::TYPE.is_registered());
        with_root(|root| {
            assert!(root.lookup(c"d0")?.inode().is_some());
            Ok(())
        })
    }

    #[test]
    fn a_second_children_guard_is_refused() -> Result {
        with_root(|root| {
            let mut a = root.lookup(c"d0")?;
            let mut b = root.lookup(c"d1")?;
            let guard = a.lock_children().ok_or(EINVAL)?;
            // Two directory locks would nest in one lock class.
            assert!(b.lock_children().is_none());
            assert!(root.lock_children().is_none());
            drop(guard);
            assert!(b.lock_children().is_some());
            Ok(())
        })
    }

    #[test]
    fn lock_child_locks_the_picked_child_only() -> Result {
        with_root(|root| {
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

    #[test]
    fn lookup_asks_the_filesystem() -> Result {
        with_root(|root| {
            // The default shape has d0..d2 and f0..f1 at the root.
            let d = root.lookup(c"d1")?;
            assert!(d.inode().is_some_and(|i| i.is_dir()));
            let f = root.lookup(c"f0")?;
            assert!(f.inode().is_some_and(|i| !i.is_dir()));
            let neg = root.lookup(c"d3")?;
            assert!(neg.inode().is_none());
            assert_eq!(d.name().as_bytes(), b"d1");
            assert!(neg.mark_dontcache().err() == Some(ENOENT));
            assert_eq!(d.parent().name().as_bytes(), b"/");
            Ok(())
        })
    }

    #[test]
    fn shrink_dcache_parent_evicts_unused_children() -> Result {
        with_root(|root| {
            drop(root.lookup(c"d0")?.lookup(c"f1")?);
            drop(root.lookup(c"f1")?);
            assert!(cached(root, b"d0")?);
            assert!(cached(root, b"f1")?);
            root.shrink_dcache_parent();
            assert!(!cached(root, b"d0")?);
            assert!(!cached(root, b"f1")?);
            Ok(())
        })
    }

    #[test]
    fn d_invalidate_unhashes() -> Result {
        with_root(|root| {
            let d = root.lookup(c"d2")?;
            drop(d.lookup(c"d0")?);
            assert!(!d.is_unhashed());
            d.d_invalidate();
            assert!(d.is_unhashed());
            // A new lookup makes a new dentry.
            let again = root.lookup(c"d2")?;
            assert!(!again.is_unhashed());
            Ok(())
        })
    }

    #[test]
    fn a_seed_reproduces_the_schedule() -> Result {
        use crate::rdcachefs::{shape::Shape, workers};
        // The shape of the internal mount (the defaults).
        let shape = Shape::default();
        // The names a worker's lookups would walk to, for one seed.
        let schedule = |root: &DentryRef<'_, RdcacheFs>, seed: u64| -> Result<KVec<DentryName>> {
            let mut rng = workers::Rng::new(seed);
            let mut names = KVec::new();
            for _ in 0..64 {
                if let Some(d) = workers::random_path(root, shape, &mut rng) {
                    names.push(d.name(), GFP_KERNEL)?;
                }
            }
            Ok(names)
        };
        let mnt = KernMount::new(&super::super::TYPE, None)?;
        let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
        let root = pin.root();
        let a = schedule(&root, 42)?;
        let b = schedule(&root, 42)?;
        let c = schedule(&root, 43)?;
        assert_eq!(a.len(), 64);
        assert!(a
            .iter()
            .zip(b.iter())
            .all(|(x, y)| x.as_bytes() == y.as_bytes()));
        assert!(a
            .iter()
            .zip(c.iter())
            .any(|(x, y)| x.as_bytes() != y.as_bytes()));
        Ok(())
    }
}

#[kernel::macros::kunit_tests(rdcache_retain)]
mod retain {
    use super::*;

    #[test]
    fn retain_hashed_last_put_stays_cached_on_lru_and_lookup_skips_fs() -> Result {
        with_root_tag(|root, tag| {
            let before = registry::get(tag, Counter::Lookups).ok_or(EINVAL)?;
            let d = root.lookup(c"d0")?;
            let lookups = registry::get(tag, Counter::Lookups).ok_or(EINVAL)?;
            // The first lookup asked the filesystem: the counter counts.
            assert_eq!(lookups, before + 1);
            stack_pin_init!(let list = ShrinkList::new());
            // Not on the LRU yet (a new dentry): keeping it is deferred.
            assert_eq!(list.as_mut().put(d), PutResult::Deferred);
            assert_eq!(list.as_mut().shrink(), 1);
            assert!(on_lru(root, b"d0")?);
            // The next lookup finds it in the dcache: no ->lookup() call.
            let again = root.lookup(c"d0")?;
            assert_eq!(registry::get(tag, Counter::Lookups), Some(lookups));
            // On the LRU now: its next last put keeps it at once.
            assert_eq!(list.as_mut().put(again), PutResult::Cached);
            assert!(list.is_empty());
            assert!(on_lru(root, b"d0")?);
            assert!(root.try_lookup(c"d0")?.is_some());
            assert_eq!(registry::get(tag, Counter::Lookups), Some(lookups));
            Ok(())
        })
    }

    #[test]
    fn retain_unhashed_dentry_is_killed() -> Result {
        with_root(|root| {
            let d = root.lookup(c"d1")?;
            d.d_invalidate();
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Listed);
            assert_eq!(list.as_mut().shrink(), 0);
            assert!(!cached(root, b"d1")?);
            Ok(())
        })
    }

    #[test]
    fn retain_dontcache_dentry_is_killed() -> Result {
        with_root(|root| {
            let f = root.lookup(c"f0")?;
            f.mark_dontcache()?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(f), PutResult::Listed);
            list.as_mut().shrink();
            assert!(!cached(root, b"f0")?);
            Ok(())
        })
    }

    #[test]
    fn retain_d_delete_drop_dentry_is_killed() -> Result {
        with_root(|root| {
            // Negative (the shape has no such name), hashed, and
            // ->d_delete() says to kill it: dput() kills it too.
            drop(root.lookup(c"drop-a")?);
            assert!(!cached(root, b"drop-a")?);
            let d = root.lookup(c"drop-b")?;
            assert!(d.inode().is_none());
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Listed);
            list.as_mut().shrink();
            assert!(!cached(root, b"drop-b")?);
            // A negative dentry ->d_delete() keeps is cached like any other.
            let n = root.lookup(c"nothing")?;
            assert_eq!(list.as_mut().put(n), PutResult::Deferred);
            list.as_mut().shrink();
            assert!(on_lru(root, b"nothing")?);
            Ok(())
        })
    }

    #[test]
    fn retain_deferred_entry_in_use_again_is_left_to_its_user() -> Result {
        with_root(|root| {
            let d = root.lookup(c"d2")?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Deferred);
            // Found again before the shrink: in use, still on our list.
            let again = root.try_lookup(c"d2")?.ok_or(ENOENT)?;
            assert!(again.is_on_shrink_list());
            // shrink() takes it off the list and drops only its own count.
            assert_eq!(list.as_mut().shrink(), 1);
            assert!(list.is_empty());
            assert!(!again.is_on_shrink_list());
            assert_eq!(again.count(), 1);
            // Its user's dput() decides: cached.
            drop(again);
            assert!(on_lru(root, b"d2")?);
            Ok(())
        })
    }

    #[test]
    fn retain_deferred_entry_used_and_dropped_again_stays_cached() -> Result {
        with_root(|root| {
            let d = root.lookup(c"d1")?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Deferred);
            // A user takes it and drops it again before the shrink: unused,
            // still on our list, and dput() would keep it.
            drop(root.try_lookup(c"d1")?.ok_or(ENOENT)?);
            assert_eq!(list.as_mut().shrink(), 1);
            assert!(on_lru(root, b"d1")?);
            Ok(())
        })
    }
}
