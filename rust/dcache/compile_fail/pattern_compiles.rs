// SPDX-License-Identifier: GPL-2.0
//! expect: ok
//!
//! Positive control: the intended pattern builds, on a filesystem of this
//! layer and on a foreign one, and so does reading a dentry's and an inode's
//! data while they are held, so a failure of the cases beside this one is
//! the misuse's, not the harness's.

use crate::dcache::{fs_type::FileSystem, Foreign, KernMount, PutResult, ShrinkList};
use kernel::{new_spinlock, prelude::*};
use pin_init::stack_pin_init;

pub(crate) fn pattern<T: FileSystem>(mnt: &KernMount<T>) -> Result {
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let mut root = pin.root();
    let d = root.create_child(c"x", false)?;
    stack_pin_init!(let lock = new_spinlock!(()));
    stack_pin_init!(let list = ShrinkList::new());
    {
        let _guard = lock.lock();
        let _: PutResult = list.as_mut().put(d);
    }
    {
        let mut guard = root.lock_children().ok_or(EBUSY)?;
        if let Some(locked) = guard.lock_child(|c| c.name() == b"x") {
            list.as_mut().move_to_list(&locked);
        };
    }
    drop(root);
    drop(pin);
    list.as_mut().shrink();
    Ok(())
}

pub(crate) fn hold_foreign(mnt: &KernMount<Foreign>) -> Result {
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    let parent = root.parent()?;
    stack_pin_init!(let list = ShrinkList::new());
    list.as_mut().put(parent);
    list.as_mut().put(root.clone());
    drop(root);
    list.as_mut().shrink();
    Ok(())
}

pub(crate) fn mount_foreign() -> Result<KernMount<Foreign>> {
    KernMount::foreign(c"sysfs", None)
}

pub(crate) fn read_data<T: FileSystem<DentryData = KBox<u64>, InodeData = u64>>(
    d: crate::dcache::DentryRef<'_, T>,
) -> u64 {
    let x = d.data().map_or(0, |x| *x);
    let y = d.inode().and_then(|i| i.data().copied()).unwrap_or(0);
    drop(d);
    x + y
}

pub(crate) fn read_in_callback<T: FileSystem<DentryData = KBox<u64>>>(
    dentry: &crate::dcache::DyingDentry<'_, T>,
) -> u64 {
    dentry.data().map_or(0, |x| *x)
}
