// SPDX-License-Identifier: GPL-2.0
//! expect: E0502 cannot borrow `*root` as immutable because it is also borrowed as mutable
//!
//! While a guard holds a dentry's `d_lock`, nothing that takes that lock
//! again (`clone()` is `dget()`, which falls back to the lock) is reachable
//! through the locked reference.

use crate::dcache::{fs_type::FileSystem, DentryRef};

pub(crate) fn misuse<T: FileSystem>(root: &mut DentryRef<'_, T>) {
    let Some(guard) = root.lock_children() else {
        return;
    };
    let again = root.clone();
    drop(guard);
    drop(again);
}
