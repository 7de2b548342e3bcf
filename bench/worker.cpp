// The Worker's load half: the send schedule or window, and the check of every delivery.
#include "worker.h"

#include "clock.h"
#include "frames.h"

#include <QTimer>

namespace bench {

namespace {
constexpr qint64 kMs = 1'000'000;
constexpr int kMaxProblems = 10;
} // namespace

void Worker::startLoad(qint64 startNs, qint64 measureStartNs, qint64 measureEndNs)
{
    m_measureStartNs = measureStartNs;
    m_measureEndNs = measureEndNs;
    m_loadRunning = true;
    m_sending = true;
    const double measured = double(measureEndNs - measureStartNs) / 1e9;
    const qsizetype receivers = m_options.receiversPerSender();
    if (m_options.mode == LoadMode::Light) {
        const qsizetype expected
            = qsizetype(m_options.rate * measured * 1.05) * qsizetype(m_channels.size());
        m_stats.deliveryLatencyNs.reserve(expected * receivers);
        m_stats.ackLatencyNs.reserve(expected);
        // Spread the senders' phases evenly over one period so sends do not come in bursts.
        const double period = 1e9 / m_options.rate;
        for (auto &ch : m_channels) {
            ch->nextDueNs
                = startNs + qint64(period * ch->spec.index / qMax(1, m_options.senders()));
        }
        m_tick->start();
        return;
    }
    const auto msUntil = [](qint64 ns) {
        return std::chrono::milliseconds(qMax<qint64>(0, (ns - nowNs()) / kMs));
    };
    QTimer::singleShot(msUntil(startNs), Qt::PreciseTimer, this, [this] {
        for (auto &ch : m_channels)
            pump(*ch);
    });
    QTimer::singleShot(msUntil(measureEndNs), Qt::PreciseTimer, this, [this] {
        m_sending = false;
        m_drain->start();
    });
}

void Worker::onTick()
{
    const qint64 now = nowNs();
    if (now >= m_measureEndNs) {
        m_tick->stop();
        m_sending = false;
        m_drain->start();
        return;
    }
    const qint64 period = qint64(1e9 / m_options.rate);
    for (auto &chp : m_channels) {
        Channel &ch = *chp;
        while (ch.nextDueNs <= now) {
            const qint64 lag = now - ch.nextDueNs;
            m_stats.maxScheduleLagNs = qMax(m_stats.maxScheduleLagNs, lag);
            if (lag > 2 * kMs) // the 1 ms tick itself accounts for up to 1 ms
                ++m_stats.lateSends;
            sendOne(ch);
            ch.nextDueNs += period;
        }
    }
}

void Worker::pump(Channel &ch)
{
    if (!m_sending || ch.sender->stage != Stage::Ready || nowNs() >= m_measureEndNs)
        return;
    while (ch.inFlight < m_options.window)
        sendOne(ch);
}

void Worker::sendOne(Channel &ch)
{
    if (ch.sender->stage != Stage::Ready)
        return;
    const qint64 seq = ch.nextSeq++;
    m_frame.resize(0);
    m_protocol->appendSend(m_frame, ch, seq, m_text);
    const qint64 now = nowNs();
    ch.sendNs.push_back(now);
    // Without acknowledgements a message counts as accepted once written.
    ch.state.push_back(m_protocol->acknowledges() ? 0 : 1);
    ch.deliveries.push_back(0);
    ++ch.inFlight;
    ++m_stats.sent;
    if (now >= m_measureStartNs && now < m_measureEndNs)
        ++m_stats.sentInWindow;
    ch.sender->connection->sendText(m_frame);
}

void Worker::onLoadFrame(Session &session, QByteArrayView utf8)
{
    const Incoming in = m_protocol->scan(session, utf8);
    switch (in.kind) {
    case IncomingKind::Message:
        if (session.isReceiver())
            onMessagePush(session, in.clientId, in.messageId, nowNs());
        else
            ++m_stats.foreign;
        break;
    case IncomingKind::Ack:
        if (session.isSender() && in.re >= 0)
            onAck(*session.channel, in.re, nowNs());
        break;
    case IncomingKind::Error:
        if (session.isSender() && in.re >= 0) {
            onReject(*session.channel, in.re, in.errorCode);
        } else {
            ++m_stats.errorCodes[in.errorCode];
            noteProblem(QStringLiteral("unsolicited error: %1").arg(in.errorCode));
        }
        break;
    case IncomingKind::Other:
        break;
    }
}

void Worker::onMessagePush(Session &s, QByteArrayView clientId, qint64 messageId, qint64 now)
{
    Channel &ch = *s.channel;
    int channel = -1;
    qint64 seq = -1;
    if (!parseClientId(clientId, m_nonce, channel, seq) || channel != ch.spec.index
        || seq >= ch.nextSeq) {
        ++m_stats.foreign;
        return;
    }
    if (qint64(s.seen.size()) <= seq)
        s.seen.resize(size_t(ch.nextSeq), 0);
    if (s.seen[size_t(seq)]) {
        ++m_stats.duplicated;
        return;
    }
    s.seen[size_t(seq)] = 1;
    ++m_stats.delivered;
    if (seq < s.maxSeq)
        ++m_stats.outOfOrder;
    else
        s.maxSeq = seq;
    if (messageId >= 0) { // Pusher events carry no server id
        if (messageId <= s.lastMessageId)
            ++m_stats.idOrderViolations;
        else
            s.lastMessageId = messageId;
    }
    const qint64 sentAt = ch.sendNs[size_t(seq)];
    if (sentAt >= m_measureStartNs && sentAt < m_measureEndNs)
        m_stats.deliveryLatencyNs.push_back(now - sentAt);
    if (now >= m_measureStartNs && now < m_measureEndNs)
        ++m_stats.deliveredInWindow;
    if (++ch.deliveries[size_t(seq)] == ch.receivers.size() && ch.state[size_t(seq)] == 1)
        complete(ch);
}

void Worker::onAck(Channel &ch, qint64 seq, qint64 now)
{
    if (seq >= ch.nextSeq || ch.state[size_t(seq)] != 0) {
        noteProblem(QStringLiteral("unexpected 'sent' reply re=%1").arg(seq));
        return;
    }
    ch.state[size_t(seq)] = 1;
    ++m_stats.acked;
    const qint64 sentAt = ch.sendNs[size_t(seq)];
    if (sentAt >= m_measureStartNs && sentAt < m_measureEndNs)
        m_stats.ackLatencyNs.push_back(now - sentAt);
    if (now >= m_measureStartNs && now < m_measureEndNs)
        ++m_stats.ackedInWindow;
    if (ch.deliveries[size_t(seq)] == ch.receivers.size())
        complete(ch);
}

void Worker::onReject(Channel &ch, qint64 seq, const QString &code)
{
    ++m_stats.errorCodes[code];
    if (seq >= ch.nextSeq || ch.state[size_t(seq)] != 0)
        return;
    ch.state[size_t(seq)] = 2;
    ++m_stats.rejected;
    complete(ch);
}

void Worker::complete(Channel &ch)
{
    --ch.inFlight;
    if (m_options.mode == LoadMode::Full)
        pump(ch);
}

void Worker::checkDrained()
{
    bool drained = true;
    for (const auto &ch : m_channels)
        drained = drained && ch->inFlight == 0;
    if (drained || nowNs() >= m_measureEndNs + qint64(m_options.drainS * 1e9))
        finishLoad();
}

void Worker::finishLoad()
{
    if (!m_loadRunning)
        return;
    m_loadRunning = false;
    m_loadFinished = true;
    m_tick->stop();
    m_drain->stop();
    for (const auto &ch : m_channels) {
        for (qint64 seq = 0; seq < ch->nextSeq; ++seq) {
            const quint8 state = ch->state[size_t(seq)];
            if (state == 0) {
                ++m_stats.unacked;
            } else if (state == 1) {
                for (const auto &r : ch->receivers) {
                    if (qint64(r->seen.size()) <= seq || !r->seen[size_t(seq)])
                        ++m_stats.lost;
                }
            }
        }
    }
    Q_EMIT loadFinished();
}

void Worker::noteProblem(const QString &problem)
{
    if (m_stats.problems.size() < kMaxProblems)
        m_stats.problems.append(problem);
}

} // namespace bench
