// The Worker's setup half: opening sessions, the protocol's handshake, idle sessions.
#include "worker.h"

#include "frames.h"

#include <QThread>
#include <QTimer>

#include <cstdio>

namespace bench {

namespace {
constexpr int kIdleProgressEvery = 2000;
}

Worker::Worker(const BenchOptions &options, QList<ChannelSpec> channels, int idleSessions,
    QByteArray nonce, QHash<QString, QString> tokens)
    : m_options(options)
    , m_nonce(std::move(nonce))
    , m_text(makeText(options.textBytes))
    , m_tokens(std::move(tokens))
    , m_protocol(makeProtocolDriver(m_options, m_tokens))
{
    for (const ChannelSpec &spec : channels) {
        auto ch = std::make_unique<Channel>();
        ch->spec = spec;
        ch->prefix = clientIdPrefix(m_nonce, spec.index, m_options.idOrder);
        ch->sender = std::make_unique<Session>();
        ch->sender->channel = ch.get();
        ch->sender->email = spec.senderEmail;
        ch->sender->pusherChannel = spec.pusherChannel;
        for (int r = 0; r < spec.receivers; ++r) {
            auto s = std::make_unique<Session>();
            s->channel = ch.get();
            s->receiverIndex = r;
            s->email = spec.receiverEmail;
            s->pusherChannel = spec.pusherChannel;
            ch->receivers.push_back(std::move(s));
        }
        m_channels.push_back(std::move(ch));
    }
    for (int j = 0; j < idleSessions; ++j) {
        auto s = std::make_unique<Session>();
        s->email = m_options.idleEmail(j % m_options.idleUsers + 1);
        s->pusherChannel = "private-idle-" + QByteArray::number(j);
        m_idle.push_back(std::move(s));
    }
    // DPI Chat: the first session of every idle user logs in (with the password, unless a
    // token is cached) before the others, which then use its token.
    if (m_options.protocol == Protocol::DpiChat)
        m_idleFirstPhase = qMin(idleSessions, m_options.idleUsers);
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
    m_setupTimeout->start(std::chrono::seconds(
        60 + qsizetype(m_channels.size()) / 2 + qsizetype(m_idle.size()) / 50));
    checkSetupDone();
    startNextSetups();
}

void Worker::startNextSetups()
{
    while (!m_setupFailed && m_setupsRunning < m_options.loginConcurrency
        && m_nextSetup < qsizetype(m_channels.size())) {
        ++m_setupsRunning;
        openSession(*m_channels[m_nextSetup++]->sender);
    }
    while (startNextIdleSetup()) { }
}

bool Worker::startNextIdleSetup()
{
    if (m_setupFailed || m_nextIdle >= qsizetype(m_idle.size()))
        return false;
    if (m_nextIdle >= m_idleFirstPhase && m_idleReady < m_idleFirstPhase)
        return false; // their tokens are not there yet
    Session &s = *m_idle[size_t(m_nextIdle)];
    const bool password = m_nextIdle < m_idleFirstPhase && !m_tokens.contains(s.email);
    if (m_idleRunning >= (password ? m_options.loginConcurrency : m_options.connectConcurrency))
        return false;
    ++m_idleRunning;
    ++m_nextIdle;
    openSession(s);
    return true;
}

void Worker::openSession(Session &session)
{
    session.connection = makeConnection(m_options.client);
    Connection *c = session.connection.get();
    connect(c, &Connection::opened, this,
        [this, &session] { onSetupOutcome(session, m_protocol->onOpened(session)); });
    connect(c, &Connection::textReceived, this,
        [this, &session](QByteArrayView utf8) { onText(session, utf8); });
    connect(c, &Connection::closed, this,
        [this, &session](const QString &reason) { onClosed(session, reason); });
    session.stage = Stage::Connecting;
    const QUrl &base = session.isReceiver() && !m_options.receiverUrl.isEmpty()
        ? m_options.receiverUrl
        : m_options.url;
    c->open(m_protocol->sessionUrl(base));
}

void Worker::onText(Session &session, QByteArrayView utf8)
{
    if (m_loadFinished)
        return; // the counts are final once finishLoad() has run
    if (session.stage != Stage::Ready) {
        onSetupOutcome(session, m_protocol->onSetupFrame(session, utf8));
        return;
    }
    if (session.channel) {
        onLoadFrame(session, utf8);
        return;
    }
    // An idle session: the scan answers protocol pings; anything else should not come.
    const Incoming in = m_protocol->scan(session, utf8);
    if (in.kind == IncomingKind::Error) {
        ++m_stats.errorCodes[in.errorCode];
        noteProblem(QStringLiteral("error on an idle session: %1").arg(in.errorCode));
    }
}

void Worker::onSetupOutcome(Session &session, const SetupOutcome &outcome)
{
    if (outcome.status == SetupOutcome::Ready)
        onSessionReady(session);
    else if (outcome.status == SetupOutcome::Failed)
        failSetup(outcome.error);
}

void Worker::onSessionReady(Session &session)
{
    session.stage = Stage::Ready;
    if (!session.channel) {
        --m_idleRunning;
        if (++m_idleReady % kIdleProgressEvery == 0 && m_idleReady < qsizetype(m_idle.size())) {
            std::fprintf(stderr, "dpichat-bench: %d of %zu idle sessions ready\n", m_idleReady,
                m_idle.size());
        }
        checkSetupDone();
        startNextSetups();
        return;
    }
    Channel &ch = *session.channel;
    // Sessions of one channel are set up one after another, so that the first login of a
    // user leaves a token for the others.
    if (ch.setupStep < int(ch.receivers.size())) {
        openSession(*ch.receivers[size_t(ch.setupStep++)]);
        return;
    }
    --m_setupsRunning;
    ++m_channelsReady;
    checkSetupDone();
    startNextSetups();
}

void Worker::checkSetupDone()
{
    if (m_setupDone || m_setupFailed || m_channelsReady < int(m_channels.size())
        || m_idleReady < int(m_idle.size()))
        return;
    m_setupDone = true;
    m_setupTimeout->stop();
    Q_EMIT setUpFinished(true, QString());
}

void Worker::onClosed(Session &session, const QString &reason)
{
    const bool duringSetup = session.stage != Stage::Ready;
    session.stage = Stage::Closed;
    const QString who = m_options.protocol == Protocol::Pusher
        ? QStringLiteral("subscriber of %1").arg(QString::fromUtf8(session.pusherChannel))
        : session.email;
    if (duringSetup) {
        failSetup(QStringLiteral("session of %1 closed during setup: %2").arg(who, reason));
        return;
    }
    ++m_stats.disconnects;
    noteProblem(QStringLiteral("session of %1 closed: %2").arg(who, reason));
}

void Worker::failSetup(const QString &reason)
{
    if (m_setupFailed || m_setupDone)
        return;
    m_setupFailed = true;
    m_setupTimeout->stop();
    Q_EMIT setUpFinished(false, reason);
}

void Worker::shutDown(QThread *target)
{
    if (m_tick)
        m_tick->stop();
    if (m_drain)
        m_drain->stop();
    if (m_setupTimeout)
        m_setupTimeout->stop();
    m_loadFinished = true; // nothing counts from here on
    for (auto &ch : m_channels) {
        if (ch->sender->connection)
            ch->sender->connection->close();
        for (auto &r : ch->receivers) {
            if (r->connection)
                r->connection->close();
        }
    }
    for (auto &s : m_idle) {
        if (s->connection)
            s->connection->close();
    }
    m_channels.clear();
    m_idle.clear();
    moveToThread(target);
}

} // namespace bench
