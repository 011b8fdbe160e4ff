//! The first copy of SQLite's WAL-index header, at the start of the database's `-shm` file,
//! mapped read-only. Every commit and every restart of the WAL rewrites it (frame count,
//! checksums, salts), whichever process makes them; SQLite itself compares it to know whether a
//! reader's cache is still current. Equal words mean nothing was committed since they were read.
//! The crate's one module with `unsafe` code (the mapping, and atomic reads through it).

use std::fs::File;
use std::mem::ManuallyDrop;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

/// Number of 32-bit words in the header (`WalIndexHdr`, 48 bytes).
pub const HEADER_WORDS: usize = 12;

/// The header word holding `mxFrame`, the WAL's length in frames (byte offset 16).
pub const MX_FRAME: usize = 4;

/// The header's words, in the machine's byte order (as SQLite writes them).
pub type Words = [u32; HEADER_WORDS];

pub struct WalHeader {
    map: memmap2::Mmap,
}

impl WalHeader {
    /// The header of `database`, an open SQLite database in WAL mode; `None` when its `-shm`
    /// file cannot be mapped.
    pub fn map(database: &Path) -> Option<WalHeader> {
        // SQLite opens the `-shm` beside the database's real path (symbolic links resolved).
        let mut name = std::fs::canonicalize(database).ok()?.into_os_string();
        name.push("-shm");
        // Never closed, whatever happens next: closing any descriptor of a file drops every
        // POSIX lock the process holds on it, SQLite's included (its lock on the `-shm` file
        // tells other processes that the file is in use; without it the next one to open the
        // database rebuilds the file under this one).
        let file = ManuallyDrop::new(File::open(&name).ok()?);
        let len = (HEADER_WORDS * 4) as u64;
        if !file.metadata().is_ok_and(|meta| meta.len() >= len) {
            return None;
        }
        // SAFETY: a read-only shared mapping of a file SQLite keeps at least this long while any
        // of its connections is open (only a first opener, when no connection is left, truncates
        // it); the words are only read through atomics below, while a connection is held.
        let map = unsafe { memmap2::MmapOptions::new().len(HEADER_WORDS * 4).map(&*file) }.ok()?;
        Some(WalHeader { map })
    }

    pub fn read(&self) -> Words {
        let words = self.map.as_ptr().cast::<AtomicU32>();
        // SAFETY: the mapping is page-aligned and HEADER_WORDS words long; other threads and
        // processes write these words, so they are read as atomics.
        std::array::from_fn(|i| unsafe { &*words.add(i) }.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::temp_store;

    #[tokio::test]
    async fn the_header_is_found_through_a_symbolic_link() {
        let (dir, _store) = temp_store("CREATE TABLE t (x)").await;
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(dir.path().join("t.db"), &link).unwrap();
        // A stale `-shm` beside the link must not be the one read.
        std::fs::write(dir.path().join("link.db-shm"), [0u8; 64]).unwrap();
        let through_link = WalHeader::map(&link).unwrap().read();
        assert_eq!(through_link, WalHeader::map(&dir.path().join("t.db")).unwrap().read());
        assert_ne!(through_link, [0; HEADER_WORDS]);
    }

    #[tokio::test]
    async fn a_database_without_its_shm_file_has_no_header() {
        let (dir, _store) = temp_store("CREATE TABLE t (x)").await;
        assert!(WalHeader::map(&dir.path().join("missing.db")).is_none());
        // Too short to hold a header (a `-shm` file SQLite has just truncated).
        std::fs::write(dir.path().join("short.db"), b"").unwrap();
        std::fs::write(dir.path().join("short.db-shm"), b"abc").unwrap();
        assert!(WalHeader::map(&dir.path().join("short.db")).is_none());
    }
}
