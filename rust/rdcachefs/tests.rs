// SPDX-License-Identifier: GPL-2.0

//! KUnit suite for the dcache layer's shrink lists, over dentries of internal
//! mounts of `rdcachefs`.  Each test mounts its own superblock.
//!
//! What a test cannot assert itself, the harness does: every test's kernel
//! log must be clean (no "sleeping function called from invalid context",
//! no `BUG: Dentry ... still in use`, no KASAN), or the test fails.

use super::{registry, registry::Counter, RdcacheFs};
use crate::dcache::tests::{cached, on_lru};
use crate::dcache::{dentry::DentryName, DentryRef, KernMount, PutResult, ShrinkList};
use kernel::prelude::*;
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

#[kernel::macros::kunit_tests(rdcache_shrink_list)]
mod shrink_list {
    use super::*;

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
    fn lookup_asks_the_filesystem() -> Result {
        with_root(|root| {
            // The default shape has d0..d2 and f0..f1 at the root.
            let d = root.lookup(c"d1")?;
            assert!(d.inode().is_some_and(|i| i.is_dir()));
            let f = root.lookup(c"f0")?;
            assert!(f.inode().is_some_and(|i| !i.is_dir()));
            let neg = root.lookup(c"d3")?;
            assert!(neg.inode().is_none());
            assert_eq!(d.name()?.as_bytes(), b"d1");
            assert!(neg.mark_dontcache().err() == Some(ENOENT));
            assert_eq!(d.parent()?.name()?.as_bytes(), b"/");
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
                    names.push(d.name()?, GFP_KERNEL)?;
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

/// What `put()` says of the last reference of a dentry `dput()` keeps that
/// is not on the LRU yet, and how many such entries `shrink_kept()` then hands
/// to `dput()`: with `dput_to_list()`, `Released` and none (it is on the LRU
/// at once); with the fallback, `Deferred` and one.
#[cfg(rdc_dput_to_list)]
const KEPT_NEW: (PutResult, usize) = (PutResult::Released, 0);
#[cfg(not(rdc_dput_to_list))]
const KEPT_NEW: (PutResult, usize) = (PutResult::Deferred, 1);
/// What `put()` says of the last reference of a dentry on the LRU already.
#[cfg(rdc_dput_to_list)]
const KEPT_ON_LRU: PutResult = PutResult::Released;
#[cfg(not(rdc_dput_to_list))]
const KEPT_ON_LRU: PutResult = PutResult::Cached;

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
            // Not on the LRU yet (a new dentry): kept, on the LRU after the
            // shrink at the latest (at once with `dput_to_list()`).
            assert_eq!(list.as_mut().put(d), KEPT_NEW.0);
            assert_eq!(list.as_mut().shrink_kept(), KEPT_NEW.1);
            assert!(on_lru(root, b"d0")?);
            // The next lookup finds it in the dcache: no ->lookup() call.
            let again = root.lookup(c"d0")?;
            assert_eq!(registry::get(tag, Counter::Lookups), Some(lookups));
            // On the LRU now: its next last put keeps it at once.
            assert_eq!(list.as_mut().put(again), KEPT_ON_LRU);
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
            assert_eq!(list.as_mut().shrink_kept(), 0);
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
            assert_eq!(list.as_mut().put(n), KEPT_NEW.0);
            list.as_mut().shrink();
            assert!(on_lru(root, b"nothing")?);
            Ok(())
        })
    }
}

/// The fallback's deferred step (`PutResult::Deferred`), which a kernel that
/// exports `dput_to_list()` never takes.
#[cfg(not(rdc_dput_to_list))]
#[kernel::macros::kunit_tests(rdcache_retain_deferred)]
mod retain_deferred {
    use super::*;
    use crate::dcache::tests::referenced;

    #[test]
    fn retain_deferred_entry_in_use_again_is_left_to_its_user() -> Result {
        with_root(|root| {
            let d = root.lookup(c"d2")?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Deferred);
            // Found again before the shrink: in use, still on our list.
            let again = root.try_lookup(c"d2")?.ok_or(ENOENT)?;
            assert!(again.is_on_shrink_list());
            // shrink() only takes it off the list: no count of its own, no
            // dput(), and its superblock is not looked at.
            assert_eq!(list.as_mut().shrink_kept(), 0);
            assert!(list.is_empty());
            assert!(!again.is_on_shrink_list());
            assert_eq!(again.count(), 1);
            // Its user's dput() decides: cached.
            drop(again);
            assert!(on_lru(root, b"d2")?);
            Ok(())
        })
    }

    /// What C leaves after `dput()`, a lookup and a `dput()` of `name`:
    /// unused, on the LRU, referenced (the second `dput()` found it there).
    fn dput_twice_leaves_it_referenced(root: &mut DentryRef<'_, RdcacheFs>, name: &CStr) -> Result {
        drop(root.lookup(name)?);
        drop(root.try_lookup(name)?.ok_or(ENOENT)?);
        assert!(referenced(root, name.to_bytes())?);
        Ok(())
    }

    // Found by the API fuzzer's twin tree (apifuzz, seeds 13 and 15 before
    // the fix): a deferred entry in use again when shrink() takes it off
    // the list ended unreferenced on the LRU, where dput() leaves it
    // referenced.
    #[test]
    fn retain_deferred_entry_in_use_at_shrink_ends_referenced_as_dput_leaves_it() -> Result {
        with_root(|root| {
            dput_twice_leaves_it_referenced(root, c"d0")?;
            let d = root.lookup(c"d2")?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Deferred);
            let again = root.try_lookup(c"d2")?.ok_or(ENOENT)?;
            assert_eq!(list.as_mut().shrink_kept(), 0);
            drop(again);
            assert!(referenced(root, b"d2")?);
            Ok(())
        })
    }

    // Likewise: a deferred entry found again and put again (`OtherList`)
    // before the shrink ended unreferenced.
    #[test]
    fn retain_deferred_entry_put_again_ends_referenced_as_dput_leaves_it() -> Result {
        with_root(|root| {
            dput_twice_leaves_it_referenced(root, c"d0")?;
            let d = root.lookup(c"d1")?;
            stack_pin_init!(let list = ShrinkList::new());
            assert_eq!(list.as_mut().put(d), PutResult::Deferred);
            let again = root.try_lookup(c"d1")?.ok_or(ENOENT)?;
            assert_eq!(list.as_mut().put(again), PutResult::OtherList);
            assert_eq!(list.as_mut().shrink_kept(), 1);
            assert!(referenced(root, b"d1")?);
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
            assert_eq!(list.as_mut().shrink_kept(), 1);
            assert!(on_lru(root, b"d1")?);
            Ok(())
        })
    }
}
