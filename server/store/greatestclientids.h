#pragma once

#include <QHash>
#include <QString>
#include <QStringView>

#include <algorithm>

namespace dpichat::server {

/// The greatest clientId each sender has in the database, so that a message whose clientId
/// is greater is known to be new without a look-up there (Committer, with a MessageJournal):
/// "new" is certain, anything else is answered by the database. DPI Chat's clients make
/// clientIds that begin with the time (UUID version 7, shared/protocol/clientid.h), each
/// greater than the last, so only a repeat, or an id from a client that makes them otherwise,
/// is looked up; however many messages are stored, this holds one id a sender.
///
/// Ordered as QString orders them (UTF-16 code units), here and in every comparison. Ids
/// read back from SQLite come as UTF-16 (sqlite3_column_text16), unchanged only when they
/// were valid: the caller asks the database for any id that is not.
class GreatestClientIds {
public:
    /// A stored pair, as the server holds it.
    void add(qint64 sender, const QString &clientId)
    {
        QString &greatest = m_greatest[sender];
        if (clientId > greatest)
            greatest = clientId;
    }
    /// A stored pair as the database gives it back (read at start in the index's order, so
    /// mostly each greater than the last): copied into the sender's buffer when it is the
    /// greatest, which it reuses.
    void add(qint64 sender, QStringView clientId)
    {
        QString &greatest = m_greatest[sender];
        if (clientId > QStringView(greatest)) {
            greatest.resize(clientId.size());
            std::copy(clientId.begin(), clientId.end(), greatest.data());
        }
    }
    /// Another's greatest ids, as if each had been added here.
    void add(const GreatestClientIds &other)
    {
        for (auto it = other.m_greatest.cbegin(); it != other.m_greatest.cend(); ++it)
            add(it.key(), it.value());
    }
    bool surelyNew(qint64 sender, QStringView clientId) const
    {
        const auto it = m_greatest.constFind(sender);
        return it == m_greatest.cend() || clientId > QStringView(*it);
    }
    qsizetype senders() const { return m_greatest.size(); }

private:
    QHash<qint64, QString> m_greatest;
};

} // namespace dpichat::server
