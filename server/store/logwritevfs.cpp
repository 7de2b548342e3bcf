#include "logwritevfs.h"

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <new>
#include <vector>

namespace dpichat::server {

namespace {

// The write-ahead log's layout (https://sqlite.org/fileformat2.html#walformat): a frame is
// a 24-byte header, then a page; bytes 4..7 of the header, big-endian, are the database's
// size in pages after the commit for the last frame of a transaction and zero otherwise.
constexpr int kFrameHeaderSize = 24;
// At most this much is written in one call: SQLite's unix VFS writes at most 128 KiB - 1
// bytes a call (seekAndWriteFd masks the length with 0x1ffff), so more would be cut short.
// 31 pages of 4 KiB; a larger transaction goes out in several writes.
constexpr std::size_t kMaxHeld = 31 * 4096;
// A write that ends the log is padded with zeros to the end of the file system's block it
// ends in (4 KiB: ext4's and XFS's block, the page cache's page), so that it never writes
// part of a block. Once the log starts over, each commit's write ends over a block of the
// previous round that the kernel may have dropped from its cache since, and a write of part
// of such a block first reads the block back from the disk: the event loop waited for those
// reads (50 in a 10-s light run; one held it 380 ms while the disk was busy with a flush:
// docs/performance.md, "The log's blocks written whole"). Two writes end the log: a
// commit's (its last frame is always appended) and one from the start of the file (the
// header of a new round, which SQLite flushes before the first frame). What follows the
// end is not part of the log: SQLite writes the next frame over it, and recovery stops at
// the first frame whose salts and checksum do not match the header's, which zeros never do.
// Other writes are not padded: frames that SQLite writes again in place before the commit
// may have frames of the same transaction after them.
constexpr sqlite3_int64 kBlock = 4096;
static_assert(
    kMaxHeld + std::size_t(kBlock) - 1 <= 0x1ffff, "a padded write must fit SQLite's one call");

sqlite3_vfs *g_wrapped = nullptr; // SQLite's default VFS when this one was installed.
std::atomic<std::uint64_t> g_logBytesWritten { 0 };
std::atomic<bool> g_installed { false }; // installLogWriteVfs() succeeded.

struct HeldWrites
{
    std::vector<char> bytes;
    sqlite3_int64 offset = 0; // Where bytes[0] goes in the file.
    bool commitPageNext = false; // The last write was a commit frame's header.
};

// SQLite allocates szOsFile bytes for each open file and calls xOpen on them: this struct,
// then the wrapped VFS's own file.
struct LogFile
{
    sqlite3_file base;
    sqlite3_file *wrapped;
    HeldWrites *held; // Only for a write-ahead log; null otherwise.
};

sqlite3_file *wrapped(sqlite3_file *file)
{
    return reinterpret_cast<LogFile *>(file)->wrapped;
}

enum class Padding { None, ToBlockEnd }; // ToBlockEnd: the write ends the log.

int writeHeld(LogFile *file, Padding padding = Padding::None)
{
    HeldWrites *held = file->held;
    if (!held || held->bytes.empty())
        return SQLITE_OK;
    const std::size_t logBytes = held->bytes.size();
    if (padding == Padding::ToBlockEnd || held->offset == 0) {
        const sqlite3_int64 end = held->offset + sqlite3_int64(logBytes);
        held->bytes.resize(logBytes + std::size_t((kBlock - end % kBlock) % kBlock), '\0');
    }
    const int rc = file->wrapped->pMethods->xWrite(file->wrapped, held->bytes.data(),
                                                   int(held->bytes.size()), held->offset);
    if (rc == SQLITE_OK) // What SQLite wrote, without the padding.
        g_logBytesWritten.fetch_add(logBytes, std::memory_order_relaxed);
    // On failure the transaction fails with this error and SQLite writes its frames anew.
    held->bytes.clear();
    held->commitPageNext = false;
    return rc;
}

// Writes what is held, then makes `call` on the wrapped file: for every use of the log that
// must see it as SQLite wrote it.
template <typename Call>
int afterHeld(sqlite3_file *f, Call call)
{
    auto *file = reinterpret_cast<LogFile *>(f);
    if (const int rc = writeHeld(file); rc != SQLITE_OK)
        return rc;
    return call(file->wrapped);
}

int logClose(sqlite3_file *f)
{
    auto *file = reinterpret_cast<LogFile *>(f);
    const int writeRc = writeHeld(file);
    const int rc = file->wrapped->pMethods->xClose(file->wrapped);
    delete file->held;
    file->held = nullptr;
    return writeRc != SQLITE_OK ? writeRc : rc;
}

int logRead(sqlite3_file *f, void *buffer, int amount, sqlite3_int64 offset)
{
    return afterHeld(f, [&](sqlite3_file *w) {
        return w->pMethods->xRead(w, buffer, amount, offset);
    });
}

int logWrite(sqlite3_file *f, const void *data, int amount, sqlite3_int64 offset)
{
    auto *file = reinterpret_cast<LogFile *>(f);
    HeldWrites *held = file->held;
    if (!held)
        return file->wrapped->pMethods->xWrite(file->wrapped, data, amount, offset);

    const bool follows = !held->bytes.empty()
            && offset == held->offset + sqlite3_int64(held->bytes.size());
    if (!follows || held->bytes.size() + std::size_t(amount) > kMaxHeld) {
        const bool commitPage = held->commitPageNext;
        if (const int rc = writeHeld(file); rc != SQLITE_OK)
            return rc;
        held->commitPageNext = commitPage;
    }
    if (held->bytes.empty())
        held->offset = offset;
    const auto *bytes = static_cast<const char *>(data);
    held->bytes.insert(held->bytes.end(), bytes, bytes + amount);

    if (held->commitPageNext) // This is the page of the transaction's last frame.
        return writeHeld(file, Padding::ToBlockEnd);
    held->commitPageNext = amount == kFrameHeaderSize
            && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
    return SQLITE_OK;
}

int logTruncate(sqlite3_file *f, sqlite3_int64 size)
{
    return afterHeld(f, [&](sqlite3_file *w) { return w->pMethods->xTruncate(w, size); });
}

int logSync(sqlite3_file *f, int flags)
{
    return afterHeld(f, [&](sqlite3_file *w) { return w->pMethods->xSync(w, flags); });
}

int logFileSize(sqlite3_file *f, sqlite3_int64 *size)
{
    return afterHeld(f, [&](sqlite3_file *w) { return w->pMethods->xFileSize(w, size); });
}

int logLock(sqlite3_file *f, int level)
{
    return wrapped(f)->pMethods->xLock(wrapped(f), level);
}

int logUnlock(sqlite3_file *f, int level)
{
    return wrapped(f)->pMethods->xUnlock(wrapped(f), level);
}

int logCheckReservedLock(sqlite3_file *f, int *out)
{
    return wrapped(f)->pMethods->xCheckReservedLock(wrapped(f), out);
}

int logFileControl(sqlite3_file *f, int op, void *arg)
{
    return afterHeld(f, [&](sqlite3_file *w) { return w->pMethods->xFileControl(w, op, arg); });
}

int logSectorSize(sqlite3_file *f)
{
    return wrapped(f)->pMethods->xSectorSize(wrapped(f));
}

int logDeviceCharacteristics(sqlite3_file *f)
{
    return wrapped(f)->pMethods->xDeviceCharacteristics(wrapped(f));
}

// The shared index and memory mapping belong to the database file; they pass through.
int logShmMap(sqlite3_file *f, int page, int pageSize, int extend, void volatile **out)
{
    const sqlite3_io_methods *methods = wrapped(f)->pMethods;
    if (methods->iVersion < 2)
        return SQLITE_IOERR_SHMMAP;
    return methods->xShmMap(wrapped(f), page, pageSize, extend, out);
}

int logShmLock(sqlite3_file *f, int offset, int n, int flags)
{
    const sqlite3_io_methods *methods = wrapped(f)->pMethods;
    if (methods->iVersion < 2)
        return SQLITE_IOERR_SHMLOCK;
    return methods->xShmLock(wrapped(f), offset, n, flags);
}

void logShmBarrier(sqlite3_file *f)
{
    const sqlite3_io_methods *methods = wrapped(f)->pMethods;
    if (methods->iVersion >= 2)
        methods->xShmBarrier(wrapped(f));
}

int logShmUnmap(sqlite3_file *f, int deleteFlag)
{
    const sqlite3_io_methods *methods = wrapped(f)->pMethods;
    if (methods->iVersion < 2)
        return SQLITE_OK;
    return methods->xShmUnmap(wrapped(f), deleteFlag);
}

int logFetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out)
{
    if (wrapped(f)->pMethods->iVersion < 3) {
        *out = nullptr; // No mapping: SQLite reads instead.
        return SQLITE_OK;
    }
    return afterHeld(f, [&](sqlite3_file *w) {
        return w->pMethods->xFetch(w, offset, amount, out);
    });
}

int logUnfetch(sqlite3_file *f, sqlite3_int64 offset, void *page)
{
    const sqlite3_io_methods *methods = wrapped(f)->pMethods;
    if (methods->iVersion < 3)
        return SQLITE_OK;
    return methods->xUnfetch(wrapped(f), offset, page);
}

const sqlite3_io_methods kLogFileMethods = {
    3,
    logClose,
    logRead,
    logWrite,
    logTruncate,
    logSync,
    logFileSize,
    logLock,
    logUnlock,
    logCheckReservedLock,
    logFileControl,
    logSectorSize,
    logDeviceCharacteristics,
    logShmMap,
    logShmLock,
    logShmBarrier,
    logShmUnmap,
    logFetch,
    logUnfetch,
};

int vfsOpen(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *f, int flags, int *outFlags)
{
    auto *file = reinterpret_cast<LogFile *>(f);
    file->base.pMethods = nullptr;
    file->wrapped = reinterpret_cast<sqlite3_file *>(file + 1);
    file->held = nullptr;
    if (flags & SQLITE_OPEN_WAL) {
        file->held = new (std::nothrow) HeldWrites;
        if (!file->held)
            return SQLITE_NOMEM;
    }
    const int rc = g_wrapped->xOpen(g_wrapped, name, file->wrapped, flags, outFlags);
    if (rc != SQLITE_OK || !file->wrapped->pMethods) {
        // SQLite calls xClose only on files whose pMethods is set; this one stays unset.
        if (file->wrapped->pMethods)
            file->wrapped->pMethods->xClose(file->wrapped);
        delete file->held;
        file->held = nullptr;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    file->base.pMethods = &kLogFileMethods;
    return SQLITE_OK;
}

int vfsDelete(sqlite3_vfs *, const char *name, int syncDir)
{
    return g_wrapped->xDelete(g_wrapped, name, syncDir);
}

int vfsAccess(sqlite3_vfs *, const char *name, int flags, int *out)
{
    return g_wrapped->xAccess(g_wrapped, name, flags, out);
}

int vfsFullPathname(sqlite3_vfs *, const char *name, int size, char *out)
{
    return g_wrapped->xFullPathname(g_wrapped, name, size, out);
}

void *vfsDlOpen(sqlite3_vfs *, const char *name)
{
    return g_wrapped->xDlOpen(g_wrapped, name);
}

void vfsDlError(sqlite3_vfs *, int size, char *out)
{
    g_wrapped->xDlError(g_wrapped, size, out);
}

void (*vfsDlSym(sqlite3_vfs *, void *handle, const char *symbol))(void)
{
    return g_wrapped->xDlSym(g_wrapped, handle, symbol);
}

void vfsDlClose(sqlite3_vfs *, void *handle)
{
    g_wrapped->xDlClose(g_wrapped, handle);
}

int vfsRandomness(sqlite3_vfs *, int size, char *out)
{
    return g_wrapped->xRandomness(g_wrapped, size, out);
}

int vfsSleep(sqlite3_vfs *, int microseconds)
{
    return g_wrapped->xSleep(g_wrapped, microseconds);
}

int vfsCurrentTime(sqlite3_vfs *, double *out)
{
    return g_wrapped->xCurrentTime(g_wrapped, out);
}

int vfsGetLastError(sqlite3_vfs *, int size, char *out)
{
    return g_wrapped->xGetLastError ? g_wrapped->xGetLastError(g_wrapped, size, out) : 0;
}

int vfsCurrentTimeInt64(sqlite3_vfs *, sqlite3_int64 *out)
{
    return g_wrapped->xCurrentTimeInt64(g_wrapped, out);
}

sqlite3_vfs g_vfs;

bool install()
{
    g_wrapped = sqlite3_vfs_find(nullptr);
    if (!g_wrapped || g_wrapped->iVersion < 2)
        return false;
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = int(sizeof(LogFile)) + g_wrapped->szOsFile;
    g_vfs.mxPathname = g_wrapped->mxPathname;
    g_vfs.zName = "dpichat-logwrite";
    g_vfs.xOpen = vfsOpen;
    g_vfs.xDelete = vfsDelete;
    g_vfs.xAccess = vfsAccess;
    g_vfs.xFullPathname = vfsFullPathname;
    g_vfs.xDlOpen = vfsDlOpen;
    g_vfs.xDlError = vfsDlError;
    g_vfs.xDlSym = vfsDlSym;
    g_vfs.xDlClose = vfsDlClose;
    g_vfs.xRandomness = vfsRandomness;
    g_vfs.xSleep = vfsSleep;
    g_vfs.xCurrentTime = vfsCurrentTime;
    g_vfs.xGetLastError = vfsGetLastError;
    g_vfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;
    return sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK;
}

} // namespace

bool installLogWriteVfs()
{
    static std::once_flag once;
    std::call_once(once, [] { g_installed.store(install(), std::memory_order_release); });
    return g_installed.load(std::memory_order_acquire);
}

std::optional<std::uint64_t> logBytesWritten()
{
    if (!g_installed.load(std::memory_order_acquire))
        return std::nullopt;
    return g_logBytesWritten.load(std::memory_order_relaxed);
}

} // namespace dpichat::server
