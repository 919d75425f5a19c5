// SPDX-License-Identifier: GPL-2.0
//! expect: E0277 cannot be unpinned
//!
//! Rule 3: entries point back at the list head, so a list must not move once
//! something is linked to it.

use crate::dcache::{DentryRef, Foreign, ShrinkList};
use kernel::prelude::*;

pub(crate) fn misuse(d: DentryRef<'_, Foreign>) -> Result {
    let mut list = KBox::pin_init(ShrinkList::new(), GFP_KERNEL)?;
    list.as_mut().put(d);
    let moved: ShrinkList = *Pin::into_inner(list);
    drop(moved);
    Ok(())
}
