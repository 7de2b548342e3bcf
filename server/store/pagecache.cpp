#include "pagecache.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>
#include <vector>

namespace dpichat::server {

namespace {

sqlite3_pcache_methods2 g_inner; // SQLite's own cache, as it was when this one was installed.
std::atomic<long long> g_passedOn{0};
std::atomic<long long> g_skipped{0};
std::atomic<long long> g_movedAbove{0};

// One per cache SQLite creates (a connection's pager), used by one thread at a time as the
// connection is. No page of the cache has a key above maxKey except those in movedAbove.
struct Cache
{
    sqlite3_pcache *inner = nullptr;
    unsigned maxKey = 0;
    std::vector<unsigned> movedAbove; // a key per page moved above maxKey, until it moves on
};

Cache *cacheOf(sqlite3_pcache *cache)
{
    return reinterpret_cast<Cache *>(cache);
}

int init(void *)
{
    return g_inner.xInit ? g_inner.xInit(g_inner.pArg) : SQLITE_OK;
}

void shutdown(void *)
{
    if (g_inner.xShutdown)
        g_inner.xShutdown(g_inner.pArg);
}

sqlite3_pcache *create(int pageSize, int extraSize, int purgeable)
{
    sqlite3_pcache *inner = g_inner.xCreate(pageSize, extraSize, purgeable);
    if (!inner)
        return nullptr;
    auto *cache = new (std::nothrow) Cache;
    if (!cache) {
        g_inner.xDestroy(inner);
        return nullptr;
    }
    cache->inner = inner;
    return reinterpret_cast<sqlite3_pcache *>(cache);
}

void cacheSize(sqlite3_pcache *cache, int pages)
{
    g_inner.xCachesize(cacheOf(cache)->inner, pages);
}

int pageCount(sqlite3_pcache *cache)
{
    return g_inner.xPagecount(cacheOf(cache)->inner);
}

sqlite3_pcache_page *fetch(sqlite3_pcache *cache, unsigned key, int createFlag)
{
    Cache *c = cacheOf(cache);
    sqlite3_pcache_page *page = g_inner.xFetch(c->inner, key, createFlag);
    // Found or created: either way a page may now have this key.
    if (page && createFlag != 0)
        c->maxKey = std::max(c->maxKey, key);
    return page;
}

void unpin(sqlite3_pcache *cache, sqlite3_pcache_page *page, int discard)
{
    g_inner.xUnpin(cacheOf(cache)->inner, page, discard);
}

void rekey(sqlite3_pcache *cache, sqlite3_pcache_page *page, unsigned oldKey, unsigned newKey)
{
    Cache *c = cacheOf(cache);
    g_inner.xRekey(c->inner, page, oldKey, newKey);
    const auto moved = std::find(c->movedAbove.begin(), c->movedAbove.end(), oldKey);
    if (moved != c->movedAbove.end())
        c->movedAbove.erase(moved);
    if (newKey > c->maxKey) {
        c->movedAbove.push_back(newKey);
        g_movedAbove.fetch_add(1, std::memory_order_relaxed);
    }
}

void truncate(sqlite3_pcache *cache, unsigned limit)
{
    // Removes every page whose key is `limit` or more.
    Cache *c = cacheOf(cache);
    const bool mayHoldOne = c->maxKey >= limit
            || std::any_of(c->movedAbove.cbegin(), c->movedAbove.cend(),
                           [limit](unsigned key) { return key >= limit; });
    if (!mayHoldOne) {
        g_skipped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    g_passedOn.fetch_add(1, std::memory_order_relaxed);
    g_inner.xTruncate(c->inner, limit);
    if (limit > 0)
        c->maxKey = std::min(c->maxKey, limit - 1);
    c->movedAbove.erase(std::remove_if(c->movedAbove.begin(), c->movedAbove.end(),
                                       [limit](unsigned key) { return key >= limit; }),
                        c->movedAbove.end());
}

void destroy(sqlite3_pcache *cache)
{
    Cache *c = cacheOf(cache);
    g_inner.xDestroy(c->inner);
    delete c;
}

void shrink(sqlite3_pcache *cache)
{
    if (g_inner.xShrink)
        g_inner.xShrink(cacheOf(cache)->inner);
}

bool install()
{
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &g_inner) != SQLITE_OK || !g_inner.xCreate
        || !g_inner.xFetch || !g_inner.xTruncate || !g_inner.xRekey)
        return false;
    static sqlite3_pcache_methods2 methods;
    methods = g_inner;
    methods.pArg = nullptr;
    methods.xInit = init;
    methods.xShutdown = shutdown;
    methods.xCreate = create;
    methods.xCachesize = cacheSize;
    methods.xPagecount = pageCount;
    methods.xFetch = fetch;
    methods.xUnpin = unpin;
    methods.xRekey = rekey;
    methods.xTruncate = truncate;
    methods.xDestroy = destroy;
    methods.xShrink = shrink;
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
}

} // namespace

bool installPageCacheTruncationFilter()
{
    static std::once_flag once;
    static bool installed = false;
    std::call_once(once, [] { installed = install(); });
    return installed;
}

PageCacheTruncations pageCacheTruncations()
{
    return {g_passedOn.load(std::memory_order_relaxed), g_skipped.load(std::memory_order_relaxed),
            g_movedAbove.load(std::memory_order_relaxed)};
}

} // namespace dpichat::server
