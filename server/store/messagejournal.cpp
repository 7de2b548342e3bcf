#include "messagejournal.h"

#include "logging.h"
#include "sqlutil.h"

#include <QFile>
#include <QtEndian>

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace dpichat::server {

namespace {

constexpr quint32 kMagic = 0x314a5044; // "DPJ1" in the file (little-endian)
constexpr int kHeaderBytes = 4 + 4 + crypto_shorthash_BYTES;
// The fixed part of a payload: id, thread, sender, creation time, and the two lengths.
constexpr int kFixedPayloadBytes = 4 * 8 + 2 * 4;
// Far above any record a valid message makes (limits::kTextChars characters of UTF-8).
constexpr quint32 kMaxPayloadBytes = 1024 * 1024;
// SipHash needs a key; this one only tells a whole record from a damaged one.
constexpr unsigned char kKey[crypto_shorthash_KEYBYTES]
    = { 'd', 'p', 'i', 'c', 'h', 'a', 't', '-', 'j', 'o', 'u', 'r', 'n', 'a', 'l', '1' };

template <typename T> void put(QByteArray &out, T value)
{
    const T le = qToLittleEndian(value);
    out.append(reinterpret_cast<const char *>(&le), sizeof le);
}

template <typename T> T take(const char *at)
{
    return qFromLittleEndian<T>(at);
}

void encode(QByteArray &out, const Message &m)
{
    const QByteArray clientId = m.clientId.toUtf8();
    const QByteArray text = m.text.toUtf8();
    const quint32 payloadBytes = quint32(kFixedPayloadBytes + clientId.size() + text.size());
    const qsizetype headerAt = out.size();
    put<quint32>(out, kMagic);
    put<quint32>(out, payloadBytes);
    out.append(crypto_shorthash_BYTES, '\0');
    const qsizetype payloadAt = out.size();
    put<qint64>(out, m.id);
    put<qint64>(out, m.thread);
    put<qint64>(out, m.sender);
    put<qint64>(out, m.createdAt.toMSecsSinceEpoch());
    put<quint32>(out, quint32(clientId.size()));
    out.append(clientId);
    put<quint32>(out, quint32(text.size()));
    out.append(text);
    crypto_shorthash(reinterpret_cast<unsigned char *>(out.data() + headerAt + 8),
        reinterpret_cast<const unsigned char *>(out.constData() + payloadAt), payloadBytes, kKey);
}

// One record at `data` (of `size` bytes): the message, and the bytes it took; nothing when
// it is incomplete or damaged.
std::optional<std::pair<Message, qsizetype>> decode(const char *data, qsizetype size)
{
    if (size < kHeaderBytes || take<quint32>(data) != kMagic)
        return std::nullopt;
    const quint32 payloadBytes = take<quint32>(data + 4);
    if (payloadBytes < quint32(kFixedPayloadBytes) || payloadBytes > kMaxPayloadBytes
        || qsizetype(payloadBytes) > size - kHeaderBytes)
        return std::nullopt;
    const char *payload = data + kHeaderBytes;
    unsigned char hash[crypto_shorthash_BYTES];
    crypto_shorthash(hash, reinterpret_cast<const unsigned char *>(payload), payloadBytes, kKey);
    if (std::memcmp(hash, data + 8, sizeof hash) != 0)
        return std::nullopt;
    Message m;
    m.id = take<qint64>(payload);
    m.thread = take<qint64>(payload + 8);
    m.sender = take<qint64>(payload + 16);
    m.createdAt = sql::timeFromMs(take<qint64>(payload + 24));
    const quint32 clientIdBytes = take<quint32>(payload + 32);
    if (clientIdBytes > payloadBytes - kFixedPayloadBytes)
        return std::nullopt;
    const char *clientId = payload + 36;
    const quint32 textBytes = take<quint32>(clientId + clientIdBytes);
    if (quint64(kFixedPayloadBytes) + clientIdBytes + textBytes != payloadBytes)
        return std::nullopt;
    m.clientId = QString::fromUtf8(clientId, clientIdBytes);
    m.text = QString::fromUtf8(clientId + clientIdBytes + 4, textBytes);
    return std::pair(std::move(m), qsizetype(kHeaderBytes) + payloadBytes);
}

ProtocolError journalError(const char *what, const QString &path)
{
    const int error = errno;
    qCWarning(lcStore) << what << path << ":" << std::strerror(error);
    return ProtocolError { ErrorCode::Internal,
        QStringLiteral("the message journal could not be written") };
}

} // namespace

QString MessageJournal::pathFor(const QString &databasePath)
{
    return databasePath + u"-acked"_s;
}

Expected<QList<Message>> MessageJournal::read(const QString &path)
{
    if (sodium_init() < 0)
        return ProtocolError { ErrorCode::Internal, QStringLiteral("libsodium did not start") };
    QList<Message> out;
    QFile file(path);
    if (!file.exists())
        return out;
    if (!file.open(QIODevice::ReadOnly)) {
        qCWarning(lcStore) << "cannot read the message journal" << path << ":"
                           << file.errorString();
        return ProtocolError { ErrorCode::Internal,
            QStringLiteral("the message journal could not be read") };
    }
    const QByteArray all = file.readAll();
    qsizetype at = 0;
    while (const auto record = decode(all.constData() + at, all.size() - at)) {
        // An id that does not increase starts what was left from before a restart().
        if (!out.isEmpty() && record->first.id <= out.constLast().id)
            break;
        out.append(record->first);
        at += record->second;
    }
    return out;
}

Expected<int> MessageJournal::replay(const QString &path, Store &store)
{
    auto records = read(path);
    if (const auto *e = std::get_if<ProtocolError>(&records))
        return *e;
    QList<Message> &all = std::get<QList<Message>>(records);
    if (all.isEmpty())
        return 0;
    const auto next = store.nextMessageId();
    if (const auto *e = std::get_if<ProtocolError>(&next))
        return *e;
    const qint64 firstMissing = std::get<qint64>(next);
    QList<Message> missing;
    for (const Message &m : std::as_const(all)) {
        if (m.id >= firstMissing)
            missing.append(m);
    }
    if (missing.isEmpty())
        return 0;
    if (auto stored = store.storeAcknowledged(missing);
        const auto *e = std::get_if<ProtocolError>(&stored))
        return *e;
    return int(missing.size());
}

Expected<std::unique_ptr<MessageJournal>> MessageJournal::open(const QString &path)
{
    if (sodium_init() < 0)
        return ProtocolError { ErrorCode::Internal, QStringLiteral("libsodium did not start") };
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return journalError("cannot open the message journal", path);
    std::unique_ptr<MessageJournal> journal(new MessageJournal(path, fd));
    journal->m_fileSize = ::lseek(fd, 0, SEEK_END);
    return journal;
}

MessageJournal::MessageJournal(QString path, int fd)
    : m_path(std::move(path))
    , m_fd(fd)
{
}

MessageJournal::~MessageJournal()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

std::optional<ProtocolError> MessageJournal::append(const QList<Message> &messages)
{
    if (m_broken) {
        return ProtocolError { ErrorCode::Internal,
            QStringLiteral("the message journal could not be written") };
    }
    m_buffer.clear();
    for (const Message &m : messages)
        encode(m_buffer, m);
    const char *data = m_buffer.constData();
    qsizetype left = m_buffer.size();
    qint64 at = m_offset;
    while (left > 0) {
        const ssize_t written = ::pwrite(m_fd, data, size_t(left), off_t(at));
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0) {
            if (written == 0)
                errno = ENOSPC;
            m_broken = true;
            return journalError("cannot write the message journal", m_path);
        }
        data += written;
        left -= written;
        at += written;
    }
    m_offset = at;
    m_fileSize = std::max(m_fileSize, at);
    return std::nullopt;
}

void MessageJournal::restart()
{
    m_offset = 0;
    if (m_fileSize > kShrinkAbove && !m_broken) {
        if (::ftruncate(m_fd, 0) == 0)
            m_fileSize = 0;
    }
}

} // namespace dpichat::server
