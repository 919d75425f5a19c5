// SPDX-License-Identifier: GPL-2.0

//! What the build-time layout checks (`layout.rs`) cannot show: that the
//! kernel crate's methods over those layouts read the right words at run
//! time, and that the layer's wrappers are the C objects themselves.

use core::mem::size_of;
use kernel::bindings;

#[kernel::macros::kunit_tests(rdcache_layout)]
mod layout {
    use super::*;

    /// `Task::pid()` reads `task_struct.pid`, which bindgen put 48 bytes
    /// early with `CONFIG_SCHEDSTATS=n` (every task then had the same
    /// "pid"): two tasks must have two real, different pids.
    #[test]
    fn task_pid_tells_tasks_apart() -> kernel::error::Result {
        use kernel::prelude::*;
        use kernel::sync::{
            atomic::{Acquire, Atomic, Release},
            Arc,
        };
        use kernel::time::{delay::fsleep, Delta};
        let me = kernel::current!().pid();
        let other = Arc::new(Atomic::new(0i32), GFP_KERNEL)?;
        let o = other.clone();
        kernel::workqueue::system()
            .try_spawn(GFP_KERNEL, move || {
                o.store(kernel::current!().pid(), Release)
            })
            .map_err(|_| ENOMEM)?;
        let mut waited = 0;
        while other.load(Acquire) == 0 && waited < 5000 {
            fsleep(Delta::from_millis(1));
            waited += 1;
        }
        // A worker thread is another task: another pid, and a real one.
        assert!(me > 0);
        assert!(other.load(Acquire) > 0);
        assert_ne!(other.load(Acquire), me);
        Ok(())
    }

    #[test]
    fn wrappers_are_transparent() {
        use crate::dcache::{Dentry, Foreign, Inode, SuperBlock};
        assert_eq!(size_of::<Dentry<Foreign>>(), size_of::<bindings::dentry>());
        assert_eq!(size_of::<Inode<Foreign>>(), size_of::<bindings::inode>());
        assert_eq!(
            size_of::<SuperBlock<Foreign>>(),
            size_of::<bindings::super_block>()
        );
    }
}
