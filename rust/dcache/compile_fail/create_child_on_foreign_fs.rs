// SPDX-License-Identifier: GPL-2.0
//! expect: E0599 its trait bounds were not satisfied
//!
//! Only the layer's own filesystems may be built on: a dentry of a foreign
//! mount (sysfs, tmpfs, ...) has no `create_child()`.

use crate::dcache::{Foreign, KernMount};
use kernel::prelude::*;

pub(crate) fn misuse() -> Result {
    let mnt = KernMount::<Foreign>::foreign(c"sysfs", None)?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    drop(root.create_child(c"x", false)?);
    Ok(())
}
