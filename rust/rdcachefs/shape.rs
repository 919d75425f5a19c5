// SPDX-License-Identifier: GPL-2.0

//! The synthetic tree of an `rdcachefs` mount.
//!
//! `depth=D,fanout=F,files=N`: every directory above level `D` has `F`
//! subdirectories `d0`..`d{F-1}`; every directory has `N` files
//! `f0`..`f{N-1}`.  Nothing is stored: a name exists if it parses and is in
//! range, so a dentry evicted from the dcache comes back on the next lookup.
//!
//! `fanout=1` makes a chain `D` directories deep (the umount benchmark's
//! deep shape); the entry limit bounds every shape.
//!
//! Node ids: bits 63..40 the level, bit 39 set for files, bits 38..0 the
//! sequence number within the level (directories) or within the level's
//! files (below `MAX_ENTRIES * MAX_FILES`, so it fits).

use crate::dcache::fs_type::{Node, CHILD_NAME_MAX};

/// Options and their limits.
pub(crate) const MAX_DEPTH: u32 = 1 << 22;
pub(crate) const MAX_FANOUT: u32 = 64;
pub(crate) const MAX_FILES: u32 = 4096;
/// The most entries (directories and files) one mount may describe.
pub(crate) const MAX_ENTRIES: u64 = 1 << 22;

const LEVEL_SHIFT: u32 = 40;
const FILE_BIT: u64 = 1 << 39;
const SEQ_MASK: u64 = FILE_BIT - 1;

/// A tree shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) depth: u32,
    pub(crate) fanout: u32,
    pub(crate) files: u32,
}

impl Default for Shape {
    fn default() -> Self {
        Self {
            depth: 2,
            fanout: 3,
            files: 2,
        }
    }
}

fn dir_id(level: u32, seq: u64) -> u64 {
    u64::from(level) << LEVEL_SHIFT | seq
}

fn file_id(level: u32, seq: u64) -> u64 {
    u64::from(level) << LEVEL_SHIFT | FILE_BIT | seq
}

fn level_of(id: u64) -> u32 {
    (id >> LEVEL_SHIFT) as u32
}

/// Parses `prefix` followed by a canonical decimal number (no sign, no
/// leading zeros) below `limit`.
fn parse_index(name: &[u8], prefix: u8, limit: u32) -> Option<u64> {
    let (&p, digits) = name.split_first()?;
    if p != prefix
        || digits.is_empty()
        || digits.len() > 10
        || (digits.len() > 1 && digits[0] == b'0')
    {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    (v < u64::from(limit)).then_some(v)
}

/// Writes `prefix` and `v` in decimal to `buf`; returns the length.
fn format_index(buf: &mut [u8; CHILD_NAME_MAX], prefix: u8, v: u64) -> usize {
    let mut w = Cursor::new(buf);
    // Cannot fail: `Cursor` truncates, and a u64 fits anyway.
    let _ = core::fmt::write(&mut w, format_args!("{}{}", prefix as char, v));
    w.len()
}

impl Shape {
    /// Number of directories and files the shape describes.
    pub(crate) fn entries(&self) -> u64 {
        let (f, n) = (u64::from(self.fanout), u64::from(self.files));
        let mut dirs_at_level = 1u64;
        let mut total = 0u64;
        for _ in 0..=self.depth {
            total = total.saturating_add(dirs_at_level.saturating_mul(1 + n));
            dirs_at_level = dirs_at_level.saturating_mul(f);
            if dirs_at_level == 0 || total == u64::MAX {
                break;
            }
        }
        total
    }

    /// The root directory.
    pub(crate) fn root(&self) -> Node {
        Node {
            id: dir_id(0, 0),
            dir: true,
            size: 0,
        }
    }

    /// The child `name` of directory `dir`.
    pub(crate) fn lookup(&self, dir: u64, name: &[u8]) -> Option<Node> {
        let level = level_of(dir);
        let seq = dir & SEQ_MASK;
        if dir & FILE_BIT != 0 {
            return None;
        }
        if level < self.depth {
            if let Some(k) = parse_index(name, b'd', self.fanout) {
                return Some(Node {
                    id: dir_id(level + 1, seq * u64::from(self.fanout) + k),
                    dir: true,
                    size: 0,
                });
            }
        }
        let j = parse_index(name, b'f', self.files)?;
        let id = file_id(level, seq * u64::from(self.files) + j);
        Some(Node {
            id,
            dir: false,
            size: self.content(id, &mut [0u8; 64]) as u64,
        })
    }

    /// The `index`-th child of `dir`: subdirectories first, then files.
    pub(crate) fn child(
        &self,
        dir: u64,
        index: u64,
        name: &mut [u8; CHILD_NAME_MAX],
    ) -> Option<(usize, Node)> {
        let level = level_of(dir);
        let subdirs = if level < self.depth {
            u64::from(self.fanout)
        } else {
            0
        };
        let len = if index < subdirs {
            format_index(name, b'd', index)
        } else if index - subdirs < u64::from(self.files) {
            format_index(name, b'f', index - subdirs)
        } else {
            return None;
        };
        let node = self.lookup(dir, &name[..len])?;
        Some((len, node))
    }

    /// A file's contents: one line naming it.  Returns the length.
    pub(crate) fn content(&self, file: u64, buf: &mut [u8]) -> usize {
        let mut w = Cursor::new(buf);
        let _ = core::fmt::write(
            &mut w,
            format_args!(
                "rdcachefs level={} file={}\n",
                level_of(file),
                file & SEQ_MASK
            ),
        );
        w.len
    }
}

/// `fmt::Write` into a byte buffer, truncating.
pub(crate) struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl core::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
