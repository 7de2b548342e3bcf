#pragma once

#include "auth/loginthrottle.h"
#include "protocol/requests.h"
#include "store/store.h"

#include <QHostAddress>
#include <QObject>
#include <functional>

namespace dpichat::server {

/// A successful login: the user and the session token to hand back in `welcome`.
struct LoginResult
{
    StoredUser user;
    QString token;
};

/// Checks passwords and session tokens, issues and revokes tokens, and throttles failures
/// per account and per address. Password checks run on the thread pool so that argon2id
/// never stalls the event loop.
class Authenticator : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const Expected<LoginResult> &)>;

    Authenticator(Store &store, qint64 tokenTtlSeconds, QObject *parent = nullptr);

    /// Calls `done` (on this thread, only while `context` lives) with the result.
    void login(const LoginRequest &request, const QHostAddress &peer, QObject *context,
               Callback done);
    Expected<bool> logout(const QString &token);

private:
    void loginWithToken(const LoginRequest &request, const QString &addressKey, Callback done);
    void finishPasswordLogin(bool verified, const std::optional<StoredUser> &user,
                             const QString &accountKey, const QString &addressKey,
                             const Callback &done);
    Expected<LoginResult> issueToken(const StoredUser &user);
    QByteArray dummyHash();

    Store &m_store;
    qint64 m_tokenTtlSeconds;
    LoginThrottle m_throttle;
    QByteArray m_dummyHash;
};

} // namespace dpichat::server
