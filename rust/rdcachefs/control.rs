// SPDX-License-Identifier: GPL-2.0

//! The debugfs interface: `/sys/kernel/debug/rdcache/` (root only).
//!
//! * `counters` (read): the format of [`registry::report`].
//! * `control` (write): one command per write, surrounding whitespace
//!   ignored; anything else is `EINVAL`.
//!   - `selftest-late`: the late-callback detector's self-test.  Replays a
//!     `->d_iput()` for the most recent superblock whose `->kill_sb()`
//!     finished, through the same entry point the VFS uses; the detector
//!     must count it and log `rdcache: LATE CALLBACK`.  `ENOENT` when no
//!     superblock has been unmounted yet.
//!   - `selftest-leak`: the inode balance check's self-test.  Counts one
//!     inode allocation that no inode backs on the newest mounted
//!     superblock, so its umount must report `rdcache: INODE LEAK`.
//!     `ENOENT` when nothing is mounted.
//!   - `release`: lets a parked [`scenario`] worker go on (`ENOENT` if none
//!     is parked); reading the file shows where one is parked
//!     (`parked: none|listed|killing|pinned|shrunk`), and which `put()`
//!     the module was built with (`put: dput_to_list|fallback`).
//!   - `sound-forget-umount-shrink`: [`sound::forget_umount_shrink`], a
//!     sequence of safe calls that leaks a dentry reference on purpose and
//!     must cause only the reports C gives for that leak.
//!   - `sound-guard-misuse`: [`sound::guard_misuse`], every call the
//!     dcache layer's lock rule refuses under a dentry guard, made under one.
//!   - `sound-irq-refusals`: [`sound::irq_refusals`], the calls that may
//!     take a `d_lock`, made in a hard interrupt.
//!   - `sound-may-sleep`: [`sound::may_sleep_in_atomic`], the calls that
//!     may sleep, each made under a spinlock where nothing in it sleeps.
//!   - `selftest-panic`: the harness's Rust-panic self-test (`make
//!     record-fixtures`): `panic!()`s in the writing task, which the kernel's
//!     panic handler turns into `BUG()`: an oops that kills the writer.  Like
//!     lkdtm, for test kernels only; root only, like every file here.
//! * `bench` (write, then read): the in-module benchmarks of [`bench`].
//! * `apifuzz` (write `SEED [OPS] [verbose]`, then read): one sequence of
//!   [`apifuzz`], the dcache layer's safe-API fuzzer; reading gives the last
//!   sequence as Rust-like lines and the coverage so far.

use super::{apifuzz, bench, registry, scenario, sound};
use core::fmt;
use kernel::{debugfs, prelude::*, str::BStr, uaccess::UserSliceReader};

/// The `control` file.
pub(crate) struct Control;

impl debugfs::Writer for Control {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "commands: selftest-late selftest-leak selftest-panic release sound-forget-umount-shrink sound-guard-misuse sound-irq-refusals sound-may-sleep"
        )?;
        writeln!(f, "put: {}", super::PUT_PATH)?;
        scenario::report(f)
    }
}

/// Longest command a debugfs file of ours takes.
pub(crate) const COMMAND_MAX: usize = 64;

/// Reads one command, 1..=[`COMMAND_MAX`] bytes, from a write to the file
/// `file` into `buf`; returns it without surrounding whitespace.  `EINVAL`
/// and a log line otherwise.
pub(crate) fn read_command<'b>(
    file: &str,
    reader: &mut UserSliceReader,
    buf: &'b mut [u8; COMMAND_MAX],
) -> Result<&'b [u8]> {
    let n = reader.len();
    if n == 0 || n > COMMAND_MAX {
        pr_err!("{file}: write of {n} bytes; commands are 1..={COMMAND_MAX} bytes\n");
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..n])?;
    Ok(buf[..n].trim_ascii())
}

impl debugfs::Reader for Control {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; COMMAND_MAX];
        let cmd = read_command("control", reader, &mut buf)?;
        match cmd {
            b"selftest-late" => {
                let tag = registry::last_dead().ok_or(ENOENT)?;
                registry::event(tag, registry::Event::DIput);
                Ok(())
            }
            b"selftest-leak" => {
                let tag = registry::last_live().ok_or(ENOENT)?;
                registry::count(tag, registry::Counter::InodesAllocated);
                Ok(())
            }
            b"release" => scenario::release(),
            b"sound-forget-umount-shrink" => sound::forget_umount_shrink(),
            b"sound-guard-misuse" => sound::guard_misuse(),
            b"sound-irq-refusals" => sound::irq_refusals(),
            b"sound-may-sleep" => sound::may_sleep_in_atomic(),
            b"selftest-panic" => panic!("rdcache: selftest-panic: a deliberate Rust panic"),
            _ => {
                pr_err!("control: unknown command '{}'\n", BStr::from_bytes(cmd));
                Err(EINVAL)
            }
        }
    }
}

/// The debugfs directory and its files, removed when dropped.
#[pin_data]
pub(crate) struct Debugfs {
    _dir: debugfs::Dir,
    #[pin]
    _counters: debugfs::File<()>,
    #[pin]
    _control: debugfs::File<Control>,
    #[pin]
    _bench: debugfs::File<bench::Bench>,
    #[pin]
    _apifuzz: debugfs::File<apifuzz::ApiFuzz>,
}

impl Debugfs {
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        let dir = debugfs::Dir::new(c"rdcache");
        try_pin_init!(Self {
            _counters <- dir.read_callback_file(c"counters", (), &|(): &(), f| registry::report(f)),
            _control <- dir.read_write_file(c"control", Control),
            _bench <- dir.read_write_file(c"bench", bench::Bench::new()),
            _apifuzz <- dir.read_write_file(c"apifuzz", apifuzz::ApiFuzz::new()),
            _dir: dir,
        }? Error)
    }
}
