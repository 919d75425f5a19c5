// SPDX-License-Identifier: GPL-2.0
//! expect: E0505 cannot move out of `d` because it is borrowed
//!
//! A dentry's data is borrowed from the reference whose count keeps
//! `->d_release()` (which drops the data) away: it cannot be used once that
//! reference is dropped.

use crate::dcache::{fs_type::FileSystem, DentryRef};
use kernel::prelude::*;

pub(crate) fn misuse<T: FileSystem<DentryData = KBox<u64>>>(d: DentryRef<'_, T>) -> u64 {
    let data = d.data();
    drop(d);
    data.map_or(0, |x| *x)
}
