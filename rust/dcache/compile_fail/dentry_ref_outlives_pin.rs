// SPDX-License-Identifier: GPL-2.0
//! expect: E0597 does not live long enough
//!
//! Rule 5: a counted dentry reference must not outlive the active superblock
//! reference that covers it, or `->kill_sb()` may find it still held.

use crate::dcache::{DentryRef, Foreign, KernMount};

pub(crate) fn misuse(mnt: &KernMount<Foreign>) {
    let escaped: DentryRef<'_, Foreign>;
    {
        let Some(pin) = mnt.sb().try_activate() else {
            return;
        };
        escaped = pin.root();
    } // the pin is deactivated here, the reference is not
    drop(escaped);
}
