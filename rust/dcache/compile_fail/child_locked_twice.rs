// SPDX-License-Identifier: GPL-2.0
//! expect: E0499 cannot borrow `guard` as mutable more than once at a time
//!
//! A guard locks one child at a time: locking a second (the same child, which
//! would self-deadlock, or a sibling, which would nest one lock class in
//! itself) while the first is held does not compile.

use crate::dcache::{fs_type::FileSystem, DentryRef};

pub(crate) fn misuse<T: FileSystem>(root: &mut DentryRef<'_, T>) {
    let Some(mut guard) = root.lock_children() else {
        return;
    };
    let first = guard.lock_child(|c| c.name() == b"a");
    let second = guard.lock_child(|c| c.name() == b"a");
    drop(second);
    drop(first);
}
