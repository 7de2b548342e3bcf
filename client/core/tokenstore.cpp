#include "tokenstore.h"

#include "logging.h"

#include <QSettings>
#include <qt6keychain/keychain.h>

namespace dpichat {

namespace {
const auto kLastServer = QLatin1StringView("session/lastServer");
const auto kLastEmail = QLatin1StringView("session/lastEmail");
} // namespace

TokenStore::TokenStore(const QString &service, QSettings *settings, QObject *parent)
    : QObject(parent),
      m_service(service),
      m_settings(settings ? settings : new QSettings()),
      m_ownsSettings(settings == nullptr)
{
}

TokenStore::~TokenStore()
{
    if (m_ownsSettings)
        delete m_settings;
}

QString TokenStore::keyFor(const QUrl &server, const QString &email)
{
    return email.trimmed().toLower() + QLatin1Char('@')
           + server.toString(QUrl::NormalizePathSegments | QUrl::StripTrailingSlash);
}

QString TokenStore::describe(int keychainError, const QString &detail) const
{
    switch (keychainError) {
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return tr("No keychain service is available on this computer.");
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return tr("Access to the keychain was denied.");
    default:
        return tr("The keychain is not available: %1").arg(detail);
    }
}

void TokenStore::save(const QUrl &server, const QString &email, const QString &token)
{
    auto *job = new QKeychain::WritePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false); // a token on disk in plain text is not "remembering"
    job->setKey(keyFor(server, email));
    job->setTextData(token);
    connect(job, &QKeychain::Job::finished, this, [this, job] {
        if (job->error() == QKeychain::NoError) {
            qCInfo(lcClientStore) << "session token saved in the keychain";
            Q_EMIT saved();
        } else {
            qCWarning(lcClientStore) << "could not save the session token:" << job->error()
                                     << job->errorString();
            Q_EMIT saveFailed(describe(job->error(), job->errorString()));
        }
    });
    job->start();
}

void TokenStore::load(const QUrl &server, const QString &email)
{
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setKey(keyFor(server, email));
    connect(job, &QKeychain::Job::finished, this, [this, job] {
        if (job->error() == QKeychain::NoError && !job->textData().isEmpty()) {
            Q_EMIT loaded(job->textData());
        } else if (job->error() == QKeychain::EntryNotFound || job->error() == QKeychain::NoError) {
            Q_EMIT loadFailed(tr("No saved session."), true);
        } else {
            qCWarning(lcClientStore) << "could not read the session token:" << job->error()
                                     << job->errorString();
            Q_EMIT loadFailed(describe(job->error(), job->errorString()), false);
        }
    });
    job->start();
}

void TokenStore::remove(const QUrl &server, const QString &email)
{
    auto *job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setKey(keyFor(server, email));
    connect(job, &QKeychain::Job::finished, this, [this, job] {
        if (job->error() == QKeychain::NoError || job->error() == QKeychain::EntryNotFound) {
            Q_EMIT removed();
        } else {
            qCWarning(lcClientStore) << "could not delete the session token:" << job->error()
                                     << job->errorString();
            Q_EMIT removeFailed(describe(job->error(), job->errorString()));
        }
    });
    job->start();
}

void TokenStore::setLastAccount(const QUrl &server, const QString &email)
{
    m_settings->setValue(kLastServer, server.toString());
    m_settings->setValue(kLastEmail, email);
    m_settings->sync();
}

void TokenStore::clearLastAccount()
{
    m_settings->remove(kLastServer);
    m_settings->remove(kLastEmail);
    m_settings->sync();
}

QUrl TokenStore::lastServer() const
{
    return QUrl(m_settings->value(kLastServer).toString());
}

QString TokenStore::lastEmail() const
{
    return m_settings->value(kLastEmail).toString();
}

} // namespace dpichat
