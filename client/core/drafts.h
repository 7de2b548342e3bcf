#pragma once

#include "localdatabase.h"

#include <QObject>

namespace dpichat {

/// Per-thread unsent composer text, kept across restarts of the app (SQLite).
class Drafts : public QObject
{
    Q_OBJECT

public:
    explicit Drafts(const QString &databasePath, QObject *parent = nullptr);
    ~Drafts() override;

    bool isOpen() const { return m_db.isOpen(); }
    /// See Outbox::accountKey().
    void setAccount(const QString &account);

    QString draft(qint64 thread) const;
    /// Stores the text (a durable write: call it when the user pauses or leaves the
    /// thread, not on every keystroke); empty or white-space text removes the draft.
    void setDraft(qint64 thread, const QString &text);

private:
    LocalDatabase m_db;
    QString m_account = QStringLiteral(""); // never null: the column is NOT NULL
};

} // namespace dpichat
