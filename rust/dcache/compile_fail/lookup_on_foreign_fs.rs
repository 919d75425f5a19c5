// SPDX-License-Identifier: GPL-2.0
//! expect: E0599 its trait bounds were not satisfied
//!
//! A foreign mount's tree can be held and dropped, not looked up by name:
//! `lookup_noperm*()` are "purely a helper for filesystem usage and should
//! not be called by generic code" (fs/namei.c).

use crate::dcache::{Foreign, KernMount};
use kernel::prelude::*;

pub(crate) fn misuse() -> Result {
    let mnt = KernMount::<Foreign>::foreign(c"sysfs", None)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    drop(root.lookup(c"kernel")?);
    Ok(())
}
