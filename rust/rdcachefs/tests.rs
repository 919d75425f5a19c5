// SPDX-License-Identifier: GPL-2.0

//! KUnit suite for the dcache layer's shrink lists, over dentries of internal
//! mounts of `rdcachefs`.  Each test mounts its own superblock.
//!
//! What a test cannot assert itself, the harness does: every test's kernel
//! log must be clean (no "sleeping function called from invalid context",
//! no `BUG: Dentry ... still in use`, no KASAN), or the test fails.

use crate::dcache::{dentry::DentryName, DentryRef, KernMount, ShrinkList};
use kernel::{new_spinlock, prelude::*};
use pin_init::stack_pin_init;

/// Runs `f` on the root of a fresh internal mount of `rdcachefs`, pinned.
fn with_root(f: impl FnOnce(&DentryRef<'_>) -> Result) -> Result {
    let mnt = KernMount::new(super::NAME)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    f(&root)
}

/// Whether `name` is a cached child of `dir`, seen under `dir`'s `d_lock`
/// (takes no reference, so it disturbs nothing).
fn cached(dir: &DentryRef<'_>, name: &[u8]) -> bool {
    let guard = dir.lock_children();
    let found = guard.iter().any(|c| c.name() == name);
    found
}

/// The count of the cached child `name` of `dir`, if any.
fn count_of(dir: &DentryRef<'_>, name: &[u8]) -> Option<u32> {
    let guard = dir.lock_children();
    let count = guard
        .iter()
        .find(|c| c.name() == name)
        .map(|c| c.dentry().count());
    count
}

#[kernel::macros::kunit_tests(rdcache_shrink_list)]
mod shrink_list {
    use super::*;

    #[test]
    fn non_last_put_keeps_dentry_cached() -> Result {
        with_root(|root| {
            let d = root.create_child(c"a", true)?;
            stack_pin_init!(let list = ShrinkList::new());
            assert!(!list.as_mut().put(d.clone()));
            assert!(list.is_empty());
            assert_eq!(d.count(), 1);
            drop(d);
            // The last reference went through dput(): cached, unused, on the LRU.
            assert_eq!(count_of(root, b"a"), Some(0));
            Ok(())
        })
    }

    #[test]
    fn last_put_moves_to_list_and_only_shrink_kills() -> Result {
        with_root(|root| {
            let d = root.create_child(c"b", false)?;
            stack_pin_init!(let list = ShrinkList::new());
            assert!(list.as_mut().put(d));
            assert!(!list.is_empty());
            // On the list, unused, and still there: nothing killed it yet.
            assert_eq!(count_of(root, b"b"), Some(0));
            list.as_mut().shrink();
            assert!(list.is_empty());
            assert!(!cached(root, b"b"));
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
                let guard = root.lock_children();
                let child = guard.iter().find(|c| c.name() == b"c").ok_or(ENOENT)?;
                let locked = guard.lock_child(child).ok_or(EINVAL)?;
                assert!(a.as_mut().move_to_list(&locked));
                // Already on `a`: `b` must not take it (rule 2).
                assert!(!b.as_mut().move_to_list(&locked));
            }
            // A counted reference to it, put into `b`, leaves it with `a` too.
            let r = root.try_lookup(c"c")?.ok_or(ENOENT)?;
            assert!(r.is_on_shrink_list());
            assert!(!b.as_mut().put(r));
            assert!(b.is_empty());
            assert!(!a.is_empty());
            a.as_mut().shrink();
            assert!(!cached(root, b"c"));
            Ok(())
        })
    }

    #[test]
    fn unused_ancestors_are_pruned_in_the_same_shrink() -> Result {
        with_root(|root| {
            let p1 = root.create_child(c"p1", true)?;
            let p2 = p1.create_child(c"p2", true)?;
            let p3 = p2.create_child(c"p3", false)?;
            // Only the leaf is referenced now; its ancestors are held by their
            // children alone.
            drop(p2);
            drop(p1);
            stack_pin_init!(let list = ShrinkList::new());
            assert!(list.as_mut().put(p3));
            list.as_mut().shrink();
            assert!(list.is_empty());
            assert!(!cached(root, b"p1"));
            Ok(())
        })
    }

    #[test]
    fn put_under_a_spinlock_does_not_sleep() -> Result {
        with_root(|root| {
            let last = root.create_child(c"s1", false)?;
            let kept = root.create_child(c"s2", false)?;
            let other = kept.clone();
            stack_pin_init!(let lock = new_spinlock!(0u32, "rdcache_test_lock"));
            stack_pin_init!(let list = ShrinkList::new());
            {
                let mut guard = lock.lock();
                *guard += 1;
                // With DEBUG_ATOMIC_SLEEP any sleep here is reported in the log,
                // which the harness turns into a failure.
                assert!(list.as_mut().put(last));
                assert!(!list.as_mut().put(other));
            }
            list.as_mut().shrink();
            assert!(!cached(root, b"s1"));
            assert!(cached(root, b"s2"));
            drop(kept);
            Ok(())
        })
    }

    #[test]
    fn umount_leaves_husks_that_shrink_frees() -> Result {
        stack_pin_init!(let list = ShrinkList::new());
        {
            let mnt = KernMount::new(super::super::NAME)?;
            let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
            let root = pin.root();
            let d = root.create_child(c"h", true)?;
            let e = d.create_child(c"h2", false)?;
            assert!(list.as_mut().put(e));
            drop(d);
            drop(root);
            drop(pin);
            // kern_unmount(): ->kill_sb() runs here, and umount kills our
            // entries itself, leaving their husks on our list.
            drop(mnt);
        }
        assert!(!list.is_empty());
        list.as_mut().shrink();
        assert!(list.is_empty());
        Ok(())
    }

    #[test]
    fn dropping_a_non_empty_list_drains_it() -> Result {
        with_root(|root| {
            let d = root.create_child(c"dr", false)?;
            {
                stack_pin_init!(let list = ShrinkList::new());
                assert!(list.as_mut().put(d));
            }
            assert!(!cached(root, b"dr"));
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
            assert_eq!(d.parent().name().as_bytes(), b"/");
            Ok(())
        })
    }

    #[test]
    fn shrink_dcache_parent_evicts_unused_children() -> Result {
        with_root(|root| {
            drop(root.lookup(c"d0")?.lookup(c"f1")?);
            drop(root.lookup(c"f1")?);
            assert!(cached(root, b"d0"));
            assert!(cached(root, b"f1"));
            root.shrink_dcache_parent();
            assert!(!cached(root, b"d0"));
            assert!(!cached(root, b"f1"));
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
        let schedule = |root: &DentryRef<'_>, seed: u64| -> Result<KVec<DentryName>> {
            let mut rng = workers::Rng::new(seed);
            let mut names = KVec::new();
            for _ in 0..64 {
                if let Some(d) = workers::random_path(root, shape, &mut rng) {
                    names.push(d.name(), GFP_KERNEL)?;
                }
            }
            Ok(names)
        };
        let mnt = KernMount::new(super::super::NAME)?;
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
