#include "clientidfilter.h"

#include <QHashFunctions>

#include <sodium.h>

#include <bit>

namespace dpichat::server {

ClientIdFilter::ClientIdFilter(qint64 expected)
{
    const quint64 wanted = quint64(std::max(kMinBits, expected * 12));
    const quint64 bits = std::bit_ceil(wanted);
    m_words.assign(size_t(bits / 64), 0);
    m_mask = bits - 1;
    if (sodium_init() < 0)
        qFatal("libsodium did not start");
    randombytes_buf(m_seeds, sizeof m_seeds);
}

ClientIdFilter::Probe ClientIdFilter::probe(qint64 sender, QStringView clientId) const
{
    // The sender mixed into each seed (a multiplication by an odd constant spreads it).
    const size_t mixed = size_t(quint64(sender) * 0x9e3779b97f4a7c15ULL);
    // Probes first + i * step (an odd step visits distinct bits of a power-of-two table).
    return { quint64(qHash(clientId, m_seeds[0] ^ mixed)),
        quint64(qHash(clientId, m_seeds[1] ^ (mixed >> 1) ^ 0x5bd1e995)) | 1 };
}

void ClientIdFilter::add(qint64 sender, QStringView clientId)
{
    const Probe p = probe(sender, clientId);
    quint64 at = p.first;
    for (int i = 0; i < kProbes; ++i, at += p.step) {
        const quint64 bit = at & m_mask;
        m_words[size_t(bit / 64)] |= quint64(1) << (bit % 64);
    }
}

bool ClientIdFilter::mightContain(qint64 sender, QStringView clientId) const
{
    const Probe p = probe(sender, clientId);
    quint64 at = p.first;
    for (int i = 0; i < kProbes; ++i, at += p.step) {
        const quint64 bit = at & m_mask;
        if (!(m_words[size_t(bit / 64)] & (quint64(1) << (bit % 64))))
            return false;
    }
    return true;
}

} // namespace dpichat::server
