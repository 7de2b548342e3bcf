#pragma once

#include "store/sqlstore.h"

#include <QString>
#include <optional>

namespace dpichat::bigdata {

/// What `dpichat-bigdata` was asked to do.
struct Options
{
    enum class Command { Generate, Measure };
    Command command = Command::Generate;

    QString db; ///< As given: a SQLite path, sqlite:PATH, or postgres://USER:PASS@HOST:PORT/DB.
    server::SqlStoreOptions store;

    // generate
    int users = 10'000;
    int admins = 5;
    qint64 messages = 5'000'000;
    quint64 seed = 1;
    int rowsPerTransaction = 100'000;

    // measure
    int samples = 1'000;       ///< Per history and sync variant.
    int threadsSamples = 30;   ///< Each one lists every thread.
    int appends = 0;           ///< Batches of 32 messages appended at the end (changes the data).
    QString serverBinary;      ///< With it, the same requests also end to end over a WebSocket.
    QString password;          ///< Every generated user's password.
};

/// The password every generated user has (one argon2id hash, computed once, stored for all).
inline constexpr char16_t kDefaultPassword[] = u"bigdata-password";

/// Parses argv; on a usage error or --help prints to stderr/stdout and returns the exit code.
std::variant<Options, int> parseOptions(const QStringList &arguments);

} // namespace dpichat::bigdata
