#pragma once

#include <QObject>
#include <QUrl>

class QSettings;

namespace dpichat {

/// The session token in the system keychain (QtKeychain), per server and email. Never
/// stores the password. Every call is asynchronous and answers with a signal; when no
/// keychain service runs, the failure signals say so in a sentence for the user.
class TokenStore : public QObject
{
    Q_OBJECT

public:
    /// `service`: the keychain service name. `settings`: where the last used server and
    /// email are remembered (not secret); when null, a default QSettings is used.
    explicit TokenStore(const QString &service = QStringLiteral("DPI Chat"),
                        QSettings *settings = nullptr, QObject *parent = nullptr);
    ~TokenStore() override;

    void save(const QUrl &server, const QString &email, const QString &token);
    void load(const QUrl &server, const QString &email);
    void remove(const QUrl &server, const QString &email);

    /// The account of the last "remember me" login, to start straight in next time.
    void setLastAccount(const QUrl &server, const QString &email);
    void clearLastAccount();
    QUrl lastServer() const;
    QString lastEmail() const;

Q_SIGNALS:
    void saved();
    /// The token could not be kept (e.g. no keychain service): login still works.
    void saveFailed(const QString &reason);
    void loaded(const QString &token);
    /// `notFound`: nothing stored for that account (not an error to show).
    void loadFailed(const QString &reason, bool notFound);
    void removed();
    void removeFailed(const QString &reason);

private:
    static QString keyFor(const QUrl &server, const QString &email);
    QString describe(int keychainError, const QString &detail) const;

    QString m_service;
    QSettings *m_settings;
    bool m_ownsSettings;
};

} // namespace dpichat
