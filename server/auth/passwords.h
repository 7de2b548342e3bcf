#pragma once

#include <QByteArray>
#include <QString>

/// Password hashing (argon2id) and session tokens, through libsodium.
namespace dpichat::server::passwords {

/// Initialises libsodium; call once before anything else here. False if it cannot start.
bool initialise();

/// argon2id with OWASP's minimum parameters (19 MiB, 2 passes): a crypto_pwhash_str string.
/// Empty on failure (out of memory).
QByteArray hash(const QString &password);

/// Constant-time check of a password against a stored crypto_pwhash_str string.
bool verify(const QByteArray &storedHash, const QString &password);

/// A fresh session token: 32 random bytes, URL-safe base64 without padding (43 characters).
QString newToken();

/// What the server stores for a token: its SHA-256 digest, never the token itself.
QByteArray tokenHash(const QString &token);

} // namespace dpichat::server::passwords
