// SPDX-License-Identifier: GPL-2.0

//! Layout tests: every field the C glue or the wrappers reach must sit where
//! the C compiler put it, or the bindings and `glue.c` disagree.

use super::glue::layout as c;
use core::mem::{offset_of, size_of};
use kernel::bindings;

macro_rules! check {
    ($c:ident, $rust:expr) => {{
        // SAFETY: The glue defines these as constants initialised at build time.
        let c_value = unsafe { c::$c };
        assert_eq!(c_value, $rust);
    }};
}

#[kernel::macros::kunit_tests(rdcache_layout)]
mod layout {
    use super::*;

    #[test]
    fn dentry_fields() {
        check!(rdc_offsetof_dentry_d_flags, offset_of!(bindings::dentry, d_flags));
        check!(rdc_offsetof_dentry_d_parent, offset_of!(bindings::dentry, d_parent));
        check!(rdc_offsetof_dentry_d_name, offset_of!(bindings::dentry, __bindgen_anon_1));
        check!(rdc_offsetof_dentry_d_inode, offset_of!(bindings::dentry, d_inode));
        check!(rdc_offsetof_dentry_d_sb, offset_of!(bindings::dentry, d_sb));
        check!(rdc_offsetof_dentry_d_lockref, offset_of!(bindings::dentry, d_lockref));
        check!(rdc_offsetof_dentry_d_lru, offset_of!(bindings::dentry, d_lru));
        check!(rdc_offsetof_dentry_d_sib, offset_of!(bindings::dentry, d_sib));
        check!(rdc_offsetof_dentry_d_children, offset_of!(bindings::dentry, d_children));
        check!(rdc_sizeof_dentry, size_of::<bindings::dentry>());
    }

    #[test]
    fn super_block_fields() {
        check!(rdc_offsetof_super_block_s_active, offset_of!(bindings::super_block, s_active));
        check!(rdc_offsetof_super_block_s_root, offset_of!(bindings::super_block, s_root));
        check!(rdc_offsetof_super_block_s_type, offset_of!(bindings::super_block, s_type));
        check!(rdc_offsetof_super_block_s_id, offset_of!(bindings::super_block, s_id));
    }

    #[test]
    fn inode_and_fs_type_fields() {
        check!(rdc_offsetof_inode_i_ino, offset_of!(bindings::inode, i_ino));
        check!(rdc_offsetof_inode_i_mode, offset_of!(bindings::inode, i_mode));
        check!(rdc_offsetof_inode_i_sb, offset_of!(bindings::inode, i_sb));
        check!(rdc_offsetof_file_system_type_name, offset_of!(bindings::file_system_type, name));
        check!(rdc_offsetof_file_system_type_owner, offset_of!(bindings::file_system_type, owner));
    }

    #[test]
    fn wrappers_are_transparent() {
        assert_eq!(size_of::<super::super::Dentry>(), size_of::<bindings::dentry>());
        assert_eq!(size_of::<super::super::Inode>(), size_of::<bindings::inode>());
        assert_eq!(size_of::<super::super::SuperBlock>(), size_of::<bindings::super_block>());
        check!(rdc_sizeof_list_head, size_of::<bindings::list_head>());
    }
}
