// SPDX-License-Identifier: GPL-2.0
//! expect: E0277 cannot be sent between threads safely
//!
//! Rule 3: a shrink list is thread-private; it cannot be moved to another
//! thread (here: a bound as `kernel::workqueue`'s `try_spawn()` has), even
//! boxed and empty.

use crate::dcache::ShrinkList;
use kernel::prelude::*;

fn send_to_another_thread<T: Send>(_: T) {}

pub(crate) fn misuse() -> Result {
    let list = KBox::pin_init(ShrinkList::new(), GFP_KERNEL)?;
    send_to_another_thread(list);
    Ok(())
}
