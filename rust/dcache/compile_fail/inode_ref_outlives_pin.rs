// SPDX-License-Identifier: GPL-2.0
//! expect: E0597 does not live long enough
//!
//! Rule 5 holds for inodes too: an inode reference kept past `->kill_sb()`
//! is a busy inode whose final `iput()` runs on a dead superblock.

use crate::dcache::{Foreign, InodeRef, KernMount};

pub(crate) fn misuse(mnt: &KernMount<Foreign>) {
    let escaped: Option<InodeRef<'_, Foreign>>;
    {
        let Some(pin) = mnt.sb().try_activate() else {
            return;
        };
        escaped = pin.root().inode();
    }
    drop(escaped);
}
