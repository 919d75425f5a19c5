// SPDX-License-Identifier: GPL-2.0
//! expect: E0599 its trait bounds were not satisfied
//!
//! A foreign mount's children are neither walked under their parent's
//! `d_lock` nor evicted: taking that lock (to move one onto a shrink list,
//! say) is the filesystem's business, so `lock_children()` needs
//! `T: FileSystem`.

use crate::dcache::{DentryRef, Foreign};

pub(crate) fn misuse(root: &mut DentryRef<'_, Foreign>) {
    let guard = root.lock_children();
    drop(guard);
}
