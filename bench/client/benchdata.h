#pragma once

// The client bench's data: the two SQLite databases it opens, written straight through
// SqlStore by a child run (`dpichat-client-bench --generate DIR`).

#include <QString>

namespace dpichat::clientbench {

inline constexpr int kThreadMessages = 100'000;
inline constexpr int kInboxThreads = 1'000;
inline const QString kAdminEmail = QStringLiteral("admin@bench.test");
inline const QString kPassword = QStringLiteral("bench-password-1");

/// Writes open.sqlite (one thread of kThreadMessages) and inbox.sqlite (kInboxThreads
/// threads) into `dir` and prints the big thread's id; 0 on success.
int generate(const QString &dir);

} // namespace dpichat::clientbench
