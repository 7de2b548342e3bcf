#pragma once

#include "options.h"
#include "stats.h"
#include "storemeasure.h"

namespace dpichat::bigdata {

/// What a user sees: starts options.serverBinary on the database (port 0, no rate limit),
/// logs in as the first admin over a QWebSocket and times each request from sending it to
/// receiving its reply (the same inputs as measureStore: threads, history newest and before,
/// sync). The server and the client share the machine. False when something failed.
bool measureWebSocket(const Options &options, Sampler &sampler, QList<Series> &series);

} // namespace dpichat::bigdata
