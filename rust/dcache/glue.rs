// SPDX-License-Identifier: GPL-2.0

//! Declarations of the layer's C helpers (`helpers/*.c`, which the upstream
//! series turns into `rust/helpers/` and so into `bindings::`) and of
//! rdcache's own C glue (`glue.c`, `glue.h`).  Keep them in step.

use core::ffi::c_void;
use kernel::{bindings, ffi};

// The C structs are only passed by pointer, never by value.  Like the
// kernel's own `bindings` crate, allow the lint that looks through pointers
// at fields Rust cannot represent (`struct module`'s `its_array`, ...); it
// fires or not depending on the kernel config, hence `allow`, not `expect`.
#[allow(improper_ctypes)]
extern "C" {
    pub(crate) fn rdc_d_count(dentry: *const bindings::dentry) -> ffi::c_int;
    pub(crate) fn rdc_d_saturated(dentry: *const bindings::dentry) -> bool;
    pub(crate) fn rdc_d_absorb(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_dget_saturating(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_ihold_saturating(inode: *mut bindings::inode);
    pub(crate) fn rdc_i_saturated(inode: *mut bindings::inode) -> bool;
    pub(crate) fn rdc_sb_active_saturated(sb: *mut bindings::super_block) -> bool;
    pub(crate) fn rdc_test_d_set_count(
        dentry: *mut bindings::dentry,
        count: ffi::c_int,
    ) -> ffi::c_int;
    pub(crate) fn rdc_test_i_set_count(
        inode: *mut bindings::inode,
        count: ffi::c_int,
    ) -> ffi::c_int;
    pub(crate) fn rdc_test_sb_set_active(
        sb: *mut bindings::super_block,
        count: ffi::c_int,
    ) -> ffi::c_int;
    pub(crate) fn rdc_d_inode(dentry: *const bindings::dentry) -> *mut bindings::inode;
    pub(crate) fn rdc_d_unhashed(dentry: *const bindings::dentry) -> bool;
    pub(crate) fn rdc_d_name(dentry: *const bindings::dentry, len: *mut ffi::c_uint) -> *const u8;
    pub(crate) fn rdc_d_on_shrink_list(dentry: *const bindings::dentry) -> bool;
    pub(crate) fn rdc_d_on_lru(dentry: *const bindings::dentry) -> bool;
    pub(crate) fn rdc_d_referenced(dentry: *const bindings::dentry) -> bool;
    pub(crate) fn rdc_d_is_cursor(dentry: *const bindings::dentry) -> bool;
    pub(crate) fn rdc_try_lookup(
        base: *mut bindings::dentry,
        name: *const ffi::c_char,
    ) -> *mut bindings::dentry;
    pub(crate) fn rdc_lookup(
        base: *mut bindings::dentry,
        name: *const ffi::c_char,
    ) -> *mut bindings::dentry;
    pub(crate) fn rdc_d_lock(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_lock_context() -> ffi::c_int;
    pub(crate) fn rdc_guard_holds(dentry: *const bindings::dentry) -> bool;
    pub(crate) fn rdc_ref_context(dentry: *const bindings::dentry) -> ffi::c_int;
    pub(crate) fn rdc_lock_rule_warn(op: *const ffi::c_char, why: ffi::c_int);
    pub(crate) fn rdc_dlock_callback_enter() -> *mut bindings::task_struct;
    pub(crate) fn rdc_dlock_callback_exit(prev: *mut bindings::task_struct);
    pub(crate) fn rdc_dir_callback_run(
        sb: *const bindings::super_block,
        may_wait: bool,
        f: Option<unsafe extern "C" fn(*mut c_void)>,
        arg: *mut c_void,
    ) -> bool;
    pub(crate) fn rdc_in_dir_callback(sb: *const bindings::super_block) -> bool;
    pub(crate) fn rdc_in_any_dir_callback() -> bool;
    pub(crate) fn rdc_guard_lock(dentry: *mut bindings::dentry) -> bool;
    pub(crate) fn rdc_guard_unlock(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_guard_lock_child(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_guard_unlock_child(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_dget_dlock(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_dput_dlock(dentry: *mut bindings::dentry) -> bool;
    pub(crate) fn rdc_d_unlock(dentry: *mut bindings::dentry);
    pub(crate) fn rdc_d_first_child(parent: *mut bindings::dentry) -> *mut bindings::dentry;
    pub(crate) fn rdc_d_next_sibling(child: *mut bindings::dentry) -> *mut bindings::dentry;
    // fallback.c: only on a kernel that does not export dput_to_list().
    #[cfg(not(rdc_dput_to_list))]
    pub(crate) fn rdc_dput_last_to_list(
        dentry: *mut bindings::dentry,
        kill: *mut bindings::list_head,
        keep: *mut bindings::list_head,
    ) -> ffi::c_int;
    #[cfg(not(rdc_dput_to_list))]
    pub(crate) fn rdc_shrink_keep(keep: *mut bindings::list_head) -> usize;
    pub(crate) fn rdc_shrink_list_census(
        list: *mut bindings::list_head,
        entries: *mut usize,
        husks: *mut usize,
        in_use: *mut usize,
    );
    pub(crate) fn rdc_dying_state(dentry: *mut bindings::dentry) -> u32;
    pub(crate) fn rdc_create_child(
        parent: *mut bindings::dentry,
        name: *const ffi::c_char,
        mode: bindings::umode_t,
    ) -> *mut bindings::dentry;

    pub(crate) fn rdc_sb_try_activate(sb: *mut bindings::super_block) -> bool;

    pub(crate) fn rdc_fs_type_init(fst: *mut bindings::file_system_type) -> ffi::c_int;
    pub(crate) fn rdc_kern_mount_registered(
        fs_type: *mut bindings::file_system_type,
        data: *const ffi::c_char,
    ) -> *mut bindings::vfsmount;
    pub(crate) fn rdc_fc_invalf(
        fc: *mut bindings::fs_context,
        msg: *const ffi::c_char,
    ) -> ffi::c_int;
    pub(crate) fn rdc_dir_emit_dots(
        file: *mut bindings::file,
        ctx: *mut bindings::dir_context,
    ) -> bool;
    pub(crate) fn rdc_dir_emit(
        ctx: *mut bindings::dir_context,
        name: *const ffi::c_char,
        len: ffi::c_int,
        ino: u64,
        dir: bool,
    ) -> bool;
    pub(crate) fn rdc_dir_pos(ctx: *const bindings::dir_context) -> bindings::loff_t;
    pub(crate) fn rdc_dir_set_pos(ctx: *mut bindings::dir_context, pos: bindings::loff_t);
    pub(crate) fn rdc_file_inode(file: *const bindings::file) -> *mut bindings::inode;
    pub(crate) fn rdc_read_iter_buffer(
        iocb: *mut bindings::kiocb,
        to: *mut bindings::iov_iter,
        buf: *const c_void,
        len: usize,
    ) -> isize;
    pub(crate) fn rdc_make_inode(
        sb: *mut bindings::super_block,
        mode: bindings::umode_t,
        private: *mut c_void,
        size: bindings::loff_t,
        iops: *const bindings::inode_operations,
        fops: *const bindings::file_operations,
    ) -> *mut bindings::inode;
    pub(crate) fn rdc_inode_private(inode: *const bindings::inode) -> *mut c_void;
    pub(crate) fn rdc_inode_set_private(inode: *mut bindings::inode, private: *mut c_void);
    pub(crate) fn rdc_d_set_fsdata(dentry: *mut bindings::dentry, data: *mut c_void);
    pub(crate) fn rdc_d_fsdata(dentry: *const bindings::dentry) -> *mut c_void;
    pub(crate) fn rdc_sb_fs_info(sb: *const bindings::super_block) -> *mut c_void;
    pub(crate) fn rdc_sb_setup(
        sb: *mut bindings::super_block,
        magic: ffi::c_ulong,
        fs_info: *mut c_void,
        sops: *const bindings::super_operations,
        dops: *const bindings::dentry_operations,
    );
    pub(crate) fn rdc_evict_inode_common(inode: *mut bindings::inode);

    pub(crate) fn rdc_kern_mount_by_name(
        name: *const ffi::c_char,
        data: *const ffi::c_char,
    ) -> *mut bindings::vfsmount;

    pub(crate) fn rdc_mnt_sb(mnt: *mut bindings::vfsmount) -> *mut bindings::super_block;

    pub(crate) fn rdc_alloc_workqueue(
        name: *const ffi::c_char,
        max_active: ffi::c_uint,
    ) -> *mut bindings::workqueue_struct;

    pub(crate) fn rdc_peer_dget_dput(dentry: *mut bindings::dentry, n: u64);
    pub(crate) fn rdc_peer_dget_put_or_lock(dentry: *mut bindings::dentry, n: u64);
    pub(crate) fn rdc_peer_dput_each(v: *mut *mut bindings::dentry, n: usize);
    #[cfg(rdc_dput_to_list)]
    pub(crate) fn rdc_peer_dput_to_list_each(v: *mut *mut bindings::dentry, n: usize);
}
