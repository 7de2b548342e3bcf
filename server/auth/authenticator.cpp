#include "authenticator.h"

#include "auth/passwords.h"
#include "logging.h"

#include <QFutureWatcher>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

namespace dpichat::server {

namespace {
ProtocolError authFailed()
{
    // The same sentence for an unknown email, a wrong password and a disabled account.
    return {ErrorCode::AuthFailed, QStringLiteral("wrong email or password")};
}

ProtocolError throttled()
{
    return {ErrorCode::RateLimited, QStringLiteral("too many failed logins; try again in a minute")};
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}
} // namespace

Authenticator::Authenticator(Store &store, qint64 tokenTtlSeconds, QObject *parent)
    : QObject(parent), m_store(store), m_tokenTtlSeconds(tokenTtlSeconds)
{
}

QByteArray Authenticator::dummyHash()
{
    // Unknown accounts are checked against this, so they cost as much time as known ones.
    if (m_dummyHash.isEmpty())
        m_dummyHash = passwords::hash(passwords::newToken());
    return m_dummyHash;
}

void Authenticator::login(const LoginRequest &request, const QHostAddress &peer,
                          QObject *context, Callback done)
{
    const QString addressKey = QStringLiteral("addr:") + peer.toString();
    if (request.isTokenLogin()) {
        loginWithToken(request, addressKey, std::move(done));
        return;
    }
    const QString email = request.email.trimmed().toLower();
    const QString accountKey = QStringLiteral("acct:") + email;
    if (m_throttle.isBlocked(accountKey, nowMs()) || m_throttle.isBlocked(addressKey, nowMs())) {
        qCInfo(lcAuth) << "login throttled for" << peer.toString();
        done(throttled());
        return;
    }
    auto found = m_store.userByEmail(email);
    if (auto *e = std::get_if<ProtocolError>(&found)) {
        done(*e);
        return;
    }
    std::optional<StoredUser> user = std::get<std::optional<StoredUser>>(found);
    if (user && user->disabled)
        user.reset();
    const QByteArray hash = user ? user->passwordHash : dummyHash();

    auto *watcher = new QFutureWatcher<bool>(this);
    QPointer<QObject> guard(context);
    connect(watcher, &QFutureWatcher<bool>::finished, this,
            [this, watcher, guard, user, accountKey, addressKey, done = std::move(done)] {
                watcher->deleteLater();
                if (!guard)
                    return;
                finishPasswordLogin(watcher->result(), user, accountKey, addressKey, done);
            });
    watcher->setFuture(QtConcurrent::run(
        [hash, password = request.password] { return passwords::verify(hash, password); }));
}

void Authenticator::finishPasswordLogin(bool verified, const std::optional<StoredUser> &user,
                                        const QString &accountKey, const QString &addressKey,
                                        const Callback &done)
{
    if (!verified || !user) {
        m_throttle.recordFailure(accountKey, nowMs());
        m_throttle.recordFailure(addressKey, nowMs());
        qCInfo(lcAuth) << "password login failed";
        done(authFailed());
        return;
    }
    done(issueToken(*user));
}

void Authenticator::loginWithToken(const LoginRequest &request, const QString &addressKey,
                                   Callback done)
{
    if (m_throttle.isBlocked(addressKey, nowMs())) {
        done(throttled());
        return;
    }
    auto session = m_store.sessionUser(passwords::tokenHash(request.token),
                                       QDateTime::currentDateTimeUtc());
    if (auto *e = std::get_if<ProtocolError>(&session)) {
        done(*e);
        return;
    }
    const auto userId = std::get<std::optional<qint64>>(session);
    std::optional<StoredUser> user;
    if (userId) {
        auto found = m_store.userById(*userId);
        if (auto *e = std::get_if<ProtocolError>(&found)) {
            done(*e);
            return;
        }
        user = std::get<std::optional<StoredUser>>(found);
    }
    if (!user || user->disabled) {
        m_throttle.recordFailure(addressKey, nowMs());
        qCInfo(lcAuth) << "token login failed";
        done(authFailed());
        return;
    }
    done(LoginResult{*user, request.token});
}

Expected<LoginResult> Authenticator::issueToken(const StoredUser &user)
{
    const QString token = passwords::newToken();
    const QDateTime expires = QDateTime::currentDateTimeUtc().addSecs(m_tokenTtlSeconds);
    auto added = m_store.addSession(passwords::tokenHash(token), user.user.id, expires);
    if (auto *e = std::get_if<ProtocolError>(&added))
        return *e;
    qCInfo(lcAuth) << "user" << user.user.id << "logged in";
    return LoginResult{user, token};
}

Expected<bool> Authenticator::logout(const QString &token)
{
    return m_store.revokeSession(passwords::tokenHash(token));
}

} // namespace dpichat::server
