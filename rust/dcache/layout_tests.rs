// SPDX-License-Identifier: GPL-2.0

//! Layout tests: every field the C glue or the wrappers reach must sit where
//! the C compiler put it, or the bindings and `glue.c` disagree.

use super::glue::layout as c;
use core::mem::{offset_of, size_of};
use kernel::{bindings, macros::paste};

/// `check!(type, c_field)` or `check!(type, c_field => rust_field)`:
/// `offsetof(struct type, c_field)` from `glue.c` equals the bindings' offset.
macro_rules! check {
    ($t:ident, $f:ident) => {
        check!($t, $f => $f)
    };
    ($t:ident, $f:ident => $rf:ident) => {{
        paste! {
            // SAFETY: `glue.c` defines these as constants set at build time.
            let c_offset = unsafe { c::[<rdc_offsetof_ $t _ $f>] };
        }
        assert_eq!(c_offset, offset_of!(bindings::$t, $rf));
    }};
}

#[kernel::macros::kunit_tests(rdcache_layout)]
mod layout {
    use super::*;

    #[test]
    fn dentry_fields() {
        check!(dentry, d_flags);
        check!(dentry, d_parent);
        check!(dentry, d_name => __bindgen_anon_1);
        check!(dentry, d_inode);
        check!(dentry, d_sb);
        check!(dentry, d_lockref);
        check!(dentry, d_lru);
        check!(dentry, d_sib);
        check!(dentry, d_children);
        // SAFETY: A constant from `glue.c`.
        let c_size = unsafe { c::rdc_sizeof_dentry };
        assert_eq!(c_size, size_of::<bindings::dentry>());
    }

    #[test]
    fn super_block_fields() {
        check!(super_block, s_active);
        check!(super_block, s_root);
        check!(super_block, s_type);
        check!(super_block, s_id);
    }

    #[test]
    fn inode_and_fs_type_fields() {
        check!(inode, i_ino);
        check!(inode, i_mode);
        check!(inode, i_sb);
        check!(file_system_type, name);
        check!(file_system_type, owner);
    }

    #[test]
    fn current_pid_tells_tasks_apart() -> kernel::error::Result {
        use kernel::prelude::*;
        use kernel::sync::{
            atomic::{Acquire, Atomic, Release},
            Arc,
        };
        use kernel::time::{delay::fsleep, Delta};
        let me = crate::dcache::current_pid();
        let other = Arc::new(Atomic::new(0i32), GFP_KERNEL)?;
        let o = other.clone();
        kernel::workqueue::system()
            .try_spawn(GFP_KERNEL, move || {
                o.store(crate::dcache::current_pid(), Release)
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
        // SAFETY: A constant from `glue.c`.
        let c_size = unsafe { c::rdc_sizeof_list_head };
        assert_eq!(c_size, size_of::<bindings::list_head>());
    }
}
