#include "clientid.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <array>

namespace dpichat {

namespace {

constexpr quint16 kCounterMask = 0x0fff;

/// A counter's first value in a new millisecond: random, with its top bit clear so that at
/// least 2,048 more ids fit before the millisecond runs out.
quint16 freshCounter()
{
    return quint16(QRandomGenerator::system()->generate() & 0x07ff);
}

} // namespace

QUuid ClientIdGenerator::next(qint64 msSinceEpoch)
{
    qint64 ms;
    quint16 counter;
    {
        QMutexLocker lock(&m_mutex);
        if (msSinceEpoch > m_lastMs) {
            m_lastMs = msSinceEpoch;
            m_counter = freshCounter();
        } else if (m_counter < kCounterMask) {
            ++m_counter; // the same millisecond, or the clock went back: count on
        } else {
            ++m_lastMs; // 4,096 ids in one millisecond: borrow the next one
            m_counter = freshCounter();
        }
        ms = m_lastMs;
        counter = m_counter;
    }
    const quint64 random = QRandomGenerator::system()->generate64();
    std::array<char, 16> bytes;
    for (int i = 0; i < 6; ++i)
        bytes[i] = char(quint64(ms) >> (40 - 8 * i));
    bytes[6] = char(0x70 | (counter >> 8)); // version 7
    bytes[7] = char(counter);
    bytes[8] = char(0x80 | ((random >> 56) & 0x3f)); // variant 10 (RFC 9562)
    for (int i = 9; i < 16; ++i)
        bytes[i] = char(random >> (8 * (15 - i)));
    return QUuid::fromRfc4122(QByteArrayView(bytes.data(), qsizetype(bytes.size())));
}

QString newClientId()
{
    static ClientIdGenerator generator;
    return generator.next(QDateTime::currentMSecsSinceEpoch()).toString(QUuid::WithoutBraces);
}

} // namespace dpichat
