// SPDX-License-Identifier: GPL-2.0
//! expect: E0521 borrowed data escapes outside of associated function
//!
//! What a dying dentry's callback borrows of its data cannot be kept past
//! the callback: the layer drops the data right after it returns.

use crate::dcache::{fs_type::FileSystem, DyingDentry};
use kernel::{prelude::*, sync::Mutex};

pub(crate) trait Keep: FileSystem<DentryData = KBox<u64>> {
    fn slot() -> &'static Mutex<Option<&'static u64>>;

    fn release(dentry: &DyingDentry<'_, Self>) {
        *Self::slot().lock() = dentry.data();
    }
}
