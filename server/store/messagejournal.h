#pragma once

#include "store.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace dpichat::server {

/// Messages acknowledged before their commit: under synchronous=NORMAL (survives a process
/// crash, not a power cut) a few messages at a time are appended here, one write into the
/// page cache, then acknowledged and pushed, and committed to the database afterwards on the
/// storage thread (Committer). A crash between the two loses nothing: at start-up, replay()
/// stores every record whose id the database has not reached yet.
///
/// The file is a run of records, each a header (magic, payload length, SipHash-2-4 of the
/// payload: libsodium's crypto_shorthash) and a payload (id, thread, sender, creation time,
/// client id, text). Once everything appended has been committed, restart() makes the next
/// append begin at the start of the file again; what is left beyond it is older records,
/// with smaller ids. Reading stops at the first record that is incomplete, damaged, or whose
/// id does not exceed the one before it, so that older tail is never read back.
class MessageJournal {
public:
    /// The journal of the SQLite database at `databasePath`: beside it, like SQLite's -wal.
    static QString pathFor(const QString &databasePath);

    /// The records in `path`, oldest first (none when the file does not exist).
    static Expected<QList<Message>> read(const QString &path);
    /// Stores the records of `path` that `store` lacks (id at or beyond
    /// Store::nextMessageId()) with Store::storeAcknowledged(), in one transaction. Returns how
    /// many; the file is left as it is.
    static Expected<int> replay(const QString &path, Store &store);

    /// Opens (creating) `path` for appending from its start: whatever it held must be
    /// stored already (replay()).
    static Expected<std::unique_ptr<MessageJournal>> open(const QString &path);
    ~MessageJournal();
    MessageJournal(const MessageJournal &) = delete;
    MessageJournal &operator=(const MessageJournal &) = delete;

    /// Appends `messages` (ids increasing, above every id appended since restart()) in one
    /// write. On failure the file may hold part of them: the journal refuses every later
    /// append (broken()), so that no record is ever written after a damaged one.
    std::optional<ProtocolError> append(const QList<Message> &messages);
    /// Everything appended is in the database: the next append starts the file over (and a
    /// file grown past kShrinkAbove is cut back).
    void restart();
    bool broken() const { return m_broken; }
    /// Bytes appended since the last restart().
    qint64 offset() const { return m_offset; }
    QString path() const { return m_path; }

    static constexpr qint64 kShrinkAbove = 4 * 1024 * 1024;

private:
    MessageJournal(QString path, int fd);

    QString m_path;
    int m_fd = -1;
    qint64 m_offset = 0;
    qint64 m_fileSize = 0;
    bool m_broken = false;
    QByteArray m_buffer; ///< Reused from append to append.
};

} // namespace dpichat::server
