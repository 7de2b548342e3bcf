#pragma once

#include "localdatabase.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QUrl>
#include <optional>

namespace dpichat {

/// One message the server has not acknowledged yet.
struct OutboxEntry
{
    QString clientId; ///< The idempotency key sent with every attempt.
    qint64 thread = 0;
    QString text;
    QDateTime createdAt; ///< UTC, when the user sent it.
    bool failed = false; ///< Refused by the server; waits for Retry or Discard.
    QString error;       ///< Why it was refused (a sentence for the user).
};

/// Every unacknowledged send, on disk (SQLite), so nothing typed is lost across a crash or
/// restart of the app. Entries belong to an account (server and user) so that another
/// login on the same machine never sends them.
class Outbox : public QObject
{
    Q_OBJECT

public:
    /// `databasePath`: a SQLite file, e.g. LocalDatabase::defaultPath().
    explicit Outbox(const QString &databasePath, QObject *parent = nullptr);
    ~Outbox() override;

    bool isOpen() const { return m_db.isOpen(); }
    QString errorString() const { return m_db.errorString(); }

    /// The account the following calls work on, e.g. accountKey(server, userId).
    void setAccount(const QString &account);
    QString account() const { return m_account; }
    static QString accountKey(const QUrl &server, qint64 userId);

    /// Writes the entry durably; returns false (and logs) if the disk refused.
    bool add(const OutboxEntry &entry);
    bool remove(const QString &clientId);
    bool markFailed(const QString &clientId, const QString &reason);
    bool markPending(const QString &clientId);
    std::optional<OutboxEntry> entry(const QString &clientId) const;
    /// This account's entries, oldest first.
    QList<OutboxEntry> entries() const;
    /// This account's entries waiting to be (re)sent, oldest first.
    QList<OutboxEntry> pendingEntries() const;
    int count() const;

Q_SIGNALS:
    /// Writing failed: the message may not survive a restart of the app.
    void storageError(const QString &reason);

private:
    QList<OutboxEntry> select(const QString &where) const;
    bool update(const QString &sql, const QVariantList &values);

    LocalDatabase m_db;
    QString m_account = QStringLiteral(""); // never null: the column is NOT NULL
};

} // namespace dpichat
