#pragma once

namespace dpichat::server {

/// Asks glibc's allocator to keep up to \a bytes of freed memory for reuse, and to serve
/// blocks under that size from its heaps, instead of handing memory back to the kernel at once
/// (nothing elsewhere). Call first thing in main(), before any thread starts.
void keepFreedMemory(int bytes);

} // namespace dpichat::server
