#pragma once

namespace dpichat::server {

/// Spares every commit a walk through SQLite's whole page cache.
///
/// At the end of each transaction SQLite truncates its page cache to the database's size
/// (`pager_end_transaction`). Its default cache (pcache1) does that work only when its largest
/// key is at or past the limit, but it never lowers that key when a page moves away from it,
/// and SQLite's B-tree moves pages through a temporary number: when it rebalances pages and
/// swaps two page numbers (`balance_nonroot`), one page passes through the number of the
/// page that holds the file's lock bytes (262,145 with 4 KiB pages). From then on, while the
/// file is under 1 GiB, every commit walks every hash bucket and every page of the cache to
/// remove nothing: with the 64 MiB cache, 16,384 buckets and as many pages, a sixteenth of
/// the storage thread's time at full speed.
///
/// This installs, as the process's page cache, a thin layer over SQLite's own that keeps for
/// each cache an upper bound of the keys it may hold (the largest key fetched with the right
/// to create a page, and the keys pages were moved to above it, until they move away) and
/// passes a truncation on only when that bound reaches the limit. Every other call goes
/// straight through, so what the cache holds, evicts and returns is SQLite's own doing.
/// The bound can only be too high (a page evicted or discarded is not seen), never too low,
/// so no truncation that has a page to remove is ever skipped.
///
/// Must run before SQLite initializes (sqlite3_config() is refused afterwards); returns
/// false then, or when SQLite refuses the configuration, and SQLite's cache serves alone.
/// Installs once per process; later calls return the first call's result.
bool installPageCacheTruncationFilter();

/// Since the process started (for tests): truncations passed on to SQLite's cache and
/// skipped, and pages moved to a key above every key their cache had created.
struct PageCacheTruncations
{
    long long passedOn = 0;
    long long skipped = 0;
    long long movedAbove = 0;
};
PageCacheTruncations pageCacheTruncations();

} // namespace dpichat::server
