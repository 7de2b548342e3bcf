#include "allocator.h"

#include <QtGlobal>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dpichat::server {

// glibc's allocator hands freed memory back to the kernel as soon as 128 KiB are free at the
// top of a heap, and serves large blocks with mmap() under a threshold that moves. The
// server's storage thread frees a batch's worth of memory after every commit and allocates it
// again for the next: at full speed that was a page fault for every few messages. Keeping up
// to 32 MiB and growing heaps 8 MiB at a time costs no memory that is not used (pages are
// only counted once written); at full speed 9% more messages a second (docs/performance.md).
// On a virtual machine that gives freed memory back to its host, touching it again costs
// several µs a page: dpichat-bigdata's measuring client, which decodes a 4.7 MB thread list
// per request, spent about 30 ms of each one on that (32 MiB kept was not enough there).
void keepFreedMemory(int bytes)
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, bytes);
    mallopt(M_TRIM_THRESHOLD, bytes);
    mallopt(M_TOP_PAD, 8 << 20);
#else
    Q_UNUSED(bytes);
#endif
}

} // namespace dpichat::server
