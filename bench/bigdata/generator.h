#pragma once

#include "options.h"

namespace dpichat::bigdata {

/// `dpichat-bigdata generate`: creates the schema through SqlStore::open() (the server's own
/// migrations), then bulk-inserts users, threads, messages and read cursors into the empty
/// database. Returns the process exit code.
int generate(const Options &options);

} // namespace dpichat::bigdata
