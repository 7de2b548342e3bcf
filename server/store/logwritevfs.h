#pragma once

#include <cstdint>
#include <optional>

namespace dpichat::server {

/// Makes SQLite write each transaction's frames to the write-ahead log in one system call.
///
/// SQLite writes a frame of the log as two `pwrite`s (its 24-byte header, then the page), so
/// a commit of 18 pages is 36 system calls, and on this kind of virtual machine a system call
/// costs a few microseconds of the one core the server shares with its event loop. This
/// installs, as the process's default, a VFS that wraps the one SQLite would use and, for
/// write-ahead log files only, holds consecutive writes in a buffer until the page of the
/// transaction's last frame (the one whose header carries the database's size, SQLite's
/// commit mark) and then writes them with one call. Its error, if any, is that write's error,
/// so a commit that could not be written fails as before.
///
/// Any other use of the log file (a read, a flush, its size, a truncation, closing it) and a
/// write elsewhere in it first writes what is held, so every operation sees the file as
/// SQLite wrote it. Other connections learn of a commit from the shared index that SQLite
/// updates after the commit's writes return, by which time they are in the file. Nothing is
/// flushed to disk earlier or later than before: SQLite, or LogFlusher, flushes after the
/// commit's writes, as without this layer. Databases, journals and the shared index go
/// straight through.
///
/// A write that ends the log (a commit's, or a new round's header) is padded with zeros to
/// the end of its 4-KiB block, so that no write covers part of a block: once the log starts
/// over, such a write would first read the rest of the block back from the disk when the
/// kernel has dropped it from its cache. What follows the log's last frame is not part of it
/// (recovery stops at the first frame that does not match the header), so the zeros change
/// nothing SQLite takes from the log.
///
/// It relies on SQLite writing a frame's header and its page in two calls, as the version this
/// server runs with does (Debian 12's 3.40): a commit frame's header is then a write of
/// exactly 24 bytes. Were that to change, commits would be
/// held past their end, and tst_logwritevfs (another connection reading every commit) fails.
///
/// Installs once per process; later calls return the first call's result. Returns false
/// when SQLite has no default VFS or refuses the registration (connections then use SQLite's
/// own VFS unchanged). Connections already open keep the VFS they were opened with.
bool installLogWriteVfs();

/// Bytes SQLite wrote to write-ahead logs through this VFS since the process started
/// (without the padding; every database's log, whether or not it later started over), or
/// nothing while it is not installed: how fast the log grows, read without a checkpoint
/// (WalCheckpointer).
std::optional<std::uint64_t> logBytesWritten();

} // namespace dpichat::server
