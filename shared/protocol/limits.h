#pragma once

#include <QtGlobal>

/// Protocol limits and defaults shared by server and client (PROTOCOL.md, version 1).
namespace dpichat::limits {

inline constexpr int kProtocolVersion = 1;
inline constexpr qint64 kFrameBytes = 64 * 1024;
inline constexpr int kTextChars = 4000;
inline constexpr int kRequestIdChars = 64;
inline constexpr int kClientIdChars = 64;
inline constexpr int kHistoryDefaultLimit = 50;
inline constexpr int kHistoryMaxLimit = 200;
inline constexpr int kSyncDefaultLimit = 500;
inline constexpr int kSyncMaxLimit = 500;
inline constexpr int kLoginTimeoutMs = 10'000;
inline constexpr int kEmailChars = 254;
inline constexpr int kNameChars = 100;
inline constexpr int kPasswordBytes = 1024;
inline constexpr int kTokenChars = 128;
/// JSON numbers are doubles; integers beyond 2^53 lose precision.
inline constexpr qint64 kMaxJsonInteger = (qint64(1) << 53);

} // namespace dpichat::limits
