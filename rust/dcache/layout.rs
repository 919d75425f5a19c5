// SPDX-License-Identifier: GPL-2.0

//! Build-time layout checks: every bindings type the layer and rdcachefs
//! read, write or build by value, and those behind the kernel crate's types
//! and methods they use, has the size, alignment and field offsets C gives
//! it, or the module does not build.
//!
//! C's figures come from `layout_c.c`, compiled to assembly by Kbuild (as
//! `asm-offsets.c` is) and turned into `layout_c.rs`; each is compared here
//! with `core::mem::{size_of, align_of, offset_of}` of the bindings in a
//! `const` assertion, whose failure is a compile error (E0080) naming the
//! type and field.  bindgen can be wrong (0.73.2 drops the alignment of an
//! empty aligned struct: `docs/reports/bindgen-empty-aligned.md`), and the
//! kernel builds its bindings without bindgen's own layout tests.
//!
//! The hand-written `#[repr(C)]` mirrors of the helper's private structs
//! (`RawFsType`, `RawFsOps` in `fs_type.rs`) are checked the same way.

use super::fs_type::{RawFsOps, RawFsType};
use core::mem::{align_of, offset_of, size_of};
use kernel::{bindings, macros::paste};

/// C's figures, generated from `layout_c.c` by Kbuild (`rust/Kbuild`).
///
/// rustc before 1.89 (Debian 12's rustc-web 1.85 on a pristine system)
/// calls a constant read only by `const _` assertions unused
/// (rust-lang/rust#142104): `cfg(rdc_const_dead_code)` (set by
/// `dput_to_list.mk` for those compilers) allows it there only, so that on a
/// newer rustc a C figure no `same!()` reads still fails the build.
#[expect(non_upper_case_globals)]
#[cfg_attr(rdc_const_dead_code, allow(dead_code))]
mod c {
    include!("layout_c.rs");
}

/// `same!(rust_type as c_name)`: size and alignment;
/// `same!(rust_type.field as c_name.c_field)`: an offset; both of a
/// `bindings::` type, or, with `mirror`, of a type of this layer's.
macro_rules! same {
    (mirror $t:ident as $c:ident) => {
        paste! {
            const _: () = assert!(
                size_of::<$t>() == c::[<rdc_ $c _size>],
                concat!("size of ", stringify!($t), " differs from C's ", stringify!($c))
            );
            const _: () = assert!(
                align_of::<$t>() == c::[<rdc_ $c _align>],
                concat!("alignment of ", stringify!($t), " differs from C's ", stringify!($c))
            );
        }
    };
    (mirror $t:ident . $f:ident as $c:ident . $cf:ident) => {
        paste! {
            const _: () = assert!(
                offset_of!($t, $f) == c::[<rdc_ $c __ $cf>],
                concat!(
                    "offset of ", stringify!($c), ".", stringify!($cf),
                    " in ", stringify!($t), " differs from C's"
                )
            );
        }
    };
    ($t:ident as $c:ident) => {
        paste! {
            const _: () = assert!(
                size_of::<bindings::$t>() == c::[<rdc_ $c _size>],
                concat!("size of bindings::", stringify!($t), " differs from C's")
            );
            const _: () = assert!(
                align_of::<bindings::$t>() == c::[<rdc_ $c _align>],
                concat!("alignment of bindings::", stringify!($t), " differs from C's")
            );
        }
    };
    ($t:ident . $f:ident as $c:ident . $cf:ident) => {
        paste! {
            const _: () = assert!(
                offset_of!(bindings::$t, $f) == c::[<rdc_ $c __ $cf>],
                concat!(
                    "offset of ", stringify!($c), ".", stringify!($cf),
                    " in bindings::", stringify!($t), " differs from C's"
                )
            );
        }
    };
    ($t:ident . $f:ident) => {
        same!($t.$f as $t.$f);
    };
    ($t:ident) => {
        same!($t as $t);
    };
}

// The dcache layer's own objects.
same!(dentry);
same!(dentry.d_flags);
same!(dentry.d_parent);
// `d_name` is a member of an anonymous union with `__d_name`.
same!(dentry.__bindgen_anon_1 as dentry.d_name);
same!(dentry.d_inode);
same!(dentry.d_sb);
same!(dentry.d_lockref);
same!(dentry.d_lru);
same!(dentry.d_sib);
same!(dentry.d_children);
same!(lockref);
same!(list_head);
same!(list_head.next);
same!(list_head.prev);
same!(super_block);
same!(super_block.s_active);
same!(super_block.s_root);
same!(super_block.s_type);
same!(super_block.s_id);
same!(inode);
same!(inode.i_ino);
same!(inode.i_mode);
same!(inode.i_sb);
same!(inode.i_generation);
same!(kiocb);
same!(kiocb.ki_filp);

// Built by value (`fs_type.rs`): the type and its operation tables.
same!(file_system_type);
same!(file_system_type.name);
same!(file_system_type.owner);
same!(file_system_type.kill_sb);
same!(super_operations);
same!(super_operations.evict_inode);
same!(super_operations.drop_inode);
same!(super_operations.statfs);
same!(dentry_operations);
same!(dentry_operations.d_release);
same!(dentry_operations.d_iput);
same!(dentry_operations.d_delete);
same!(inode_operations);
same!(inode_operations.lookup);
same!(file_operations);
same!(file_operations.llseek);
same!(file_operations.read);
same!(file_operations.read_iter);
same!(file_operations.iterate_shared);
// `kernel::debugfs` builds these.
same!(file_operations.owner);
same!(file_operations.open);
same!(file_operations.write);
same!(file_operations.release);

// The helper's private structs, mirrored by hand.
same!(mirror RawFsType as rust_fs_type);
same!(mirror RawFsType.fst as rust_fs_type.fst);
same!(mirror RawFsType.ops as rust_fs_type.ops);
same!(mirror RawFsOps as rust_fs_ops);
same!(mirror RawFsOps.nparams as rust_fs_ops.nparams);
same!(mirror RawFsOps.param_name as rust_fs_ops.param_name);
same!(mirror RawFsOps.opts_alloc as rust_fs_ops.opts_alloc);
same!(mirror RawFsOps.opts_free as rust_fs_ops.opts_free);
same!(mirror RawFsOps.set_param as rust_fs_ops.set_param);
same!(mirror RawFsOps.validate as rust_fs_ops.validate);
same!(mirror RawFsOps.fill_super as rust_fs_ops.fill_super);

// Built by value by `#[kunit_tests]`.
#[cfg(CONFIG_KUNIT)]
same!(kunit_case);
#[cfg(CONFIG_KUNIT)]
same!(kunit_suite);

// Behind the kernel crate: `Task::pid()` and friends, `SpinLock`, `Mutex`
// and their static lock classes, the workqueue's `Work`, `Arc`.
same!(task_struct);
same!(task_struct.pid);
same!(task_struct.tgid);
same!(task_struct.group_leader);
same!(task_struct.mm);
same!(spinlock_t as spinlock_t);
same!(mutex);
same!(lock_class_key);
same!(work_struct);
same!(refcount_t as refcount_t);
// `hardirq.rs`: `HrTimer` and `Completion`.
same!(hrtimer);
same!(completion);
