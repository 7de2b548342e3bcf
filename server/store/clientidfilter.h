#pragma once

#include <QStringView>
#include <QtGlobal>

#include <vector>

namespace dpichat::server {

/// A Bloom filter of the (sender, clientId) pairs in the database, so that a message can be
/// known to be new without a look-up there (Committer, with a MessageJournal): "no" is
/// certain, "maybe" is answered by the database. Client ids are hashed as UTF-16, as the
/// server holds them and as SQLite gives them back (sqlite3_column_text16); only valid UTF-16
/// comes back unchanged from SQLite's UTF-8, so the caller asks the database for any other.
///
/// Sized at construction for `expected` pairs at 12 to 24 bits and 8 probes each: about 1
/// "maybe" in 500 new messages there; as more pairs are added "maybe" grows likelier (1 in 15
/// at twice as many), never wrong. The hashes are Qt's (qHash, AES-based where the processor
/// has it) with two seeds drawn for each filter, so that nobody can choose client ids that
/// fill it on purpose; SipHash (libsodium) cost three times as much per message at full speed.
class ClientIdFilter {
public:
    explicit ClientIdFilter(qint64 expected);

    void add(qint64 sender, QStringView clientId);
    bool mightContain(qint64 sender, QStringView clientId) const;

    qint64 bits() const { return qint64(m_words.size()) * 64; }

    static constexpr int kProbes = 8;
    static constexpr qint64 kMinBits = qint64(1) << 20;

private:
    struct Probe {
        quint64 first;
        quint64 step;
    };
    Probe probe(qint64 sender, QStringView clientId) const;

    std::vector<quint64> m_words;
    quint64 m_mask = 0;
    size_t m_seeds[2];
};

} // namespace dpichat::server
