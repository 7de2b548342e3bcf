#include "passwords.h"

#include <QCryptographicHash>
#include <sodium.h>

namespace dpichat::server::passwords {

namespace {
// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
constexpr unsigned long long kOpsLimit = 2;
constexpr size_t kMemLimit = 19 * 1024 * 1024;
} // namespace

bool initialise()
{
    return sodium_init() >= 0;
}

QByteArray hash(const QString &password)
{
    const QByteArray utf8 = password.toUtf8();
    QByteArray out(crypto_pwhash_STRBYTES, '\0');
    if (crypto_pwhash_str(out.data(), utf8.constData(), utf8.size(), kOpsLimit, kMemLimit) != 0)
        return {};
    out.truncate(qstrnlen(out.constData(), out.size()));
    return out;
}

bool verify(const QByteArray &storedHash, const QString &password)
{
    if (storedHash.isEmpty())
        return false;
    const QByteArray utf8 = password.toUtf8();
    // crypto_pwhash_str_verify wants a NUL-terminated string; QByteArray guarantees one.
    return crypto_pwhash_str_verify(storedHash.constData(), utf8.constData(), utf8.size()) == 0;
}

QString newToken()
{
    QByteArray bytes(32, '\0');
    randombytes_buf(bytes.data(), bytes.size());
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray tokenHash(const QString &token)
{
    return QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
}

} // namespace dpichat::server::passwords
