#include "worker.h"

#include "clock.h"
#include "connection.h"
#include "frames.h"

#include "protocol/codec.h"
#include "protocol/limits.h"

#include <QThread>
#include <QTimer>

namespace bench {

namespace {
const QJsonValue kLoginId(QStringLiteral("login"));
const QJsonValue kThreadsId(QStringLiteral("threads"));
constexpr qint64 kMs = 1'000'000;
constexpr int kMaxProblems = 10;
} // namespace

Worker::Worker(const BenchOptions &options, QList<ChannelSpec> channels, QByteArray nonce,
    QHash<QString, QString> tokens)
    : m_options(options)
    , m_nonce(std::move(nonce))
    , m_text(makeText(options.textBytes))
    , m_tokens(std::move(tokens))
{
    for (const ChannelSpec &spec : channels) {
        auto ch = std::make_unique<Channel>();
        ch->spec = spec;
        ch->prefix = clientIdPrefix(m_nonce, spec.index);
        ch->sender = std::make_unique<Session>();
        ch->sender->channel = ch.get();
        ch->sender->email = spec.senderEmail;
        for (int r = 0; r < spec.receivers; ++r) {
            auto s = std::make_unique<Session>();
            s->channel = ch.get();
            s->receiverIndex = r;
            s->email = spec.receiverEmail;
            ch->receivers.push_back(std::move(s));
        }
        m_channels.push_back(std::move(ch));
    }
}

Worker::~Worker() = default;

void Worker::setUp()
{
    m_tick = new QTimer(this);
    m_tick->setTimerType(Qt::PreciseTimer);
    m_tick->setInterval(1);
    connect(m_tick, &QTimer::timeout, this, &Worker::onTick);
    m_drain = new QTimer(this);
    m_drain->setInterval(10);
    connect(m_drain, &QTimer::timeout, this, &Worker::checkDrained);
    // Password logins cost the server an argon2id verification each; be generous.
    m_setupTimeout = new QTimer(this);
    m_setupTimeout->setSingleShot(true);
    connect(m_setupTimeout, &QTimer::timeout, this,
        [this] { failSetup(QStringLiteral("setup timed out")); });
    m_setupTimeout->start(std::chrono::seconds(60 + qsizetype(m_channels.size()) / 2));
    if (m_channels.empty()) {
        m_setupTimeout->stop();
        Q_EMIT setUpFinished(true, QString());
        return;
    }
    startNextSetups();
}

void Worker::startNextSetups()
{
    while (!m_setupFailed && m_setupsRunning < m_options.loginConcurrency
        && m_nextSetup < qsizetype(m_channels.size())) {
        ++m_setupsRunning;
        openSession(*m_channels[m_nextSetup++]->sender);
    }
}

void Worker::openSession(Session &session)
{
    session.connection = makeConnection(m_options.client);
    Connection *c = session.connection.get();
    connect(c, &Connection::opened, this, [this, &session] { sendLogin(session); });
    connect(c, &Connection::textReceived, this,
        [this, &session](QByteArrayView utf8) { onText(session, utf8); });
    connect(c, &Connection::closed, this,
        [this, &session](const QString &reason) { onClosed(session, reason); });
    session.stage = Stage::Connecting;
    const bool receiver = session.receiverIndex >= 0;
    c->open(receiver && !m_options.receiverUrl.isEmpty() ? m_options.receiverUrl : m_options.url);
}

void Worker::sendLogin(Session &session)
{
    dpichat::LoginRequest login;
    login.protocol = dpichat::limits::kProtocolVersion;
    const QString token = m_tokens.value(session.email);
    session.usedToken = !token.isEmpty();
    if (session.usedToken) {
        login.token = token;
    } else {
        login.email = session.email;
        login.password = m_options.password;
    }
    session.stage = Stage::LoggingIn;
    session.connection->sendText(dpichat::encodeRequest(login, kLoginId));
}

void Worker::onText(Session &session, QByteArrayView utf8)
{
    if (m_loadFinished)
        return; // the counts are final once finishLoad() has run
    if (session.stage != Stage::Ready) {
        onSetupFrame(session, utf8);
        return;
    }
    const ScannedFrame f = scanFrame(utf8);
    switch (f.kind) {
    case FrameKind::Message:
        if (session.receiverIndex >= 0)
            onMessagePush(session, f.clientId, f.messageId, nowNs());
        else
            ++m_stats.foreign;
        break;
    case FrameKind::Sent:
        if (session.receiverIndex < 0 && f.re >= 0)
            onAck(*session.channel, f.re, nowNs());
        break;
    case FrameKind::Error: {
        const auto decoded = dpichat::decodeServerFrame(utf8);
        QString code = QStringLiteral("undecodable");
        if (const auto *env = std::get_if<dpichat::ServerFrameEnvelope>(&decoded)) {
            if (const auto *e = std::get_if<dpichat::ErrorReply>(&env->frame))
                code = dpichat::errorCodeName(e->code);
        }
        if (session.receiverIndex < 0 && f.re >= 0) {
            onReject(*session.channel, f.re, code);
        } else {
            ++m_stats.errorCodes[code];
            noteProblem(QStringLiteral("unsolicited error: %1").arg(code));
        }
        break;
    }
    case FrameKind::Other:
        break; // presence, read, typing, thread pushes, pongs
    }
}

void Worker::onSetupFrame(Session &session, QByteArrayView utf8)
{
    const auto decoded = dpichat::decodeServerFrame(utf8);
    if (const auto *e = std::get_if<dpichat::ProtocolError>(&decoded)) {
        // Pushes of types this build does not know are fine; a reply we cannot read is not.
        if (utf8.contains("\"re\":\"login\"") || utf8.contains("\"re\":\"threads\""))
            failSetup(QStringLiteral("%1: cannot decode reply: %2").arg(session.email, e->message));
        return;
    }
    const auto &env = std::get<dpichat::ServerFrameEnvelope>(decoded);
    const QString re = env.re.toString();
    const auto *error = std::get_if<dpichat::ErrorReply>(&env.frame);

    if (re == kLoginId.toString() && session.stage == Stage::LoggingIn) {
        if (const auto *welcome = std::get_if<dpichat::WelcomeReply>(&env.frame)) {
            m_tokens.insert(session.email, welcome->token);
            session.userId = welcome->user.id;
            if (session.receiverIndex >= 0) {
                onSessionReady(session);
                return;
            }
            session.stage = Stage::FetchingThreads;
            session.connection->sendText(
                dpichat::encodeRequest(dpichat::ThreadsRequest {}, kThreadsId));
        } else if (error && session.usedToken) {
            m_tokens.remove(session.email); // stale cache entry: fall back to the password
            sendLogin(session);
        } else {
            failSetup(QStringLiteral("login of %1 failed: %2 (%3). Create the bench users first "
                                     "(bench/run-server-bench does, with dpichat-server user add).")
                          .arg(session.email,
                              error ? dpichat::errorCodeName(error->code)
                                    : QStringLiteral("unexpected reply"),
                              error ? error->message : QString()));
        }
    } else if (re == kThreadsId.toString() && session.stage == Stage::FetchingThreads) {
        const auto *threads = std::get_if<dpichat::ThreadsReply>(&env.frame);
        if (!threads) {
            failSetup(QStringLiteral("threads request of %1 failed").arg(session.email));
            return;
        }
        for (const dpichat::Thread &t : threads->threads) {
            if (t.owner.id == session.userId)
                session.channel->thread = t.id;
        }
        if (session.channel->thread == 0) {
            failSetup(
                QStringLiteral("%1 has no thread of its own (is it an admin?)").arg(session.email));
            return;
        }
        onSessionReady(session);
    }
}

void Worker::onSessionReady(Session &session)
{
    session.stage = Stage::Ready;
    Channel &ch = *session.channel;
    // Sessions of one channel log in one after another, so that the first login of a user
    // leaves a token for the others.
    if (ch.setupStep < int(ch.receivers.size())) {
        openSession(*ch.receivers[ch.setupStep++]);
        return;
    }
    --m_setupsRunning;
    ++m_channelsReady;
    if (m_channelsReady == int(m_channels.size())) {
        m_setupTimeout->stop();
        Q_EMIT setUpFinished(true, QString());
    } else {
        startNextSetups();
    }
}

void Worker::onClosed(Session &session, const QString &reason)
{
    const bool duringSetup = session.stage != Stage::Ready;
    session.stage = Stage::Closed;
    if (duringSetup) {
        failSetup(
            QStringLiteral("session of %1 closed during setup: %2").arg(session.email, reason));
        return;
    }
    ++m_stats.disconnects;
    noteProblem(QStringLiteral("session of %1 closed: %2").arg(session.email, reason));
}

void Worker::failSetup(const QString &reason)
{
    if (m_setupFailed || m_channelsReady == int(m_channels.size()))
        return;
    m_setupFailed = true;
    m_setupError = reason;
    m_setupTimeout->stop();
    Q_EMIT setUpFinished(false, reason);
}

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
    appendSendFrame(m_frame, seq, ch.thread, ch.prefix, m_text);
    const qint64 now = nowNs();
    ch.sendNs.push_back(now);
    ch.state.push_back(0);
    ch.deliveries.push_back(0);
    ++ch.inFlight;
    ++m_stats.sent;
    if (now >= m_measureStartNs && now < m_measureEndNs)
        ++m_stats.sentInWindow;
    ch.sender->connection->sendText(m_frame);
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
    if (messageId <= s.lastMessageId)
        ++m_stats.idOrderViolations;
    else
        s.lastMessageId = messageId;
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

void Worker::shutDown(QThread *target)
{
    if (m_tick)
        m_tick->stop();
    if (m_drain)
        m_drain->stop();
    if (m_setupTimeout)
        m_setupTimeout->stop();
    for (auto &ch : m_channels) {
        if (ch->sender->connection)
            ch->sender->connection->close();
        for (auto &r : ch->receivers) {
            if (r->connection)
                r->connection->close();
        }
    }
    m_channels.clear();
    moveToThread(target);
}

} // namespace bench
