#include "options.h"

#include <QCommandLineParser>

namespace bench {

QString BenchOptions::customerEmail(int i) const
{
    return QStringLiteral("%1-c%2@%3").arg(usersPrefix).arg(i).arg(emailDomain);
}

QString BenchOptions::adminEmail() const
{
    return QStringLiteral("%1-admin@%2").arg(usersPrefix, emailDomain);
}

QString BenchOptions::idleEmail(int j) const
{
    return QStringLiteral("%1-i%2@%3").arg(usersPrefix).arg(j).arg(emailDomain);
}

namespace {

QString describe()
{
    return QStringLiteral(
        "Load generator for dpichat-server (PROTOCOL.md version 1) and, with --protocol\n"
        "pusher, for a Pusher Channels server such as soketi (client events on private\n"
        "channels private-pair-<i>; the window is released on delivery, there is no ack).\n\n"
        "Pairs topology (default): pair i is customer user <prefix>-c<i>, logged in twice.\n"
        "Session A sends into the user's own thread; the server pushes each message to every\n"
        "other session of the owner and to every admin session, and no admin is connected,\n"
        "so session B receives exactly one push per message. Each message is persisted.\n"
        "Fan-out topology (--fanout K): customer 1 sends, K sessions of <prefix>-admin\n"
        "receive every message (K deliveries per message).\n\n"
        "Light mode: open loop, --rate messages/s per sender; reports send->push latency.\n"
        "Full mode: --window messages in flight per sender (a message leaves the window when\n"
        "its 'sent' reply and all its pushes have arrived); reports delivered msg/s.\n"
        "Lost, duplicated and out-of-order deliveries are counted per receiving session from\n"
        "the sequence number carried in each clientId.\n"
        "Idle mode (--mode idle --connections N): N sessions log in (DPI Chat: token logins\n"
        "spread over --idle-users users <prefix>-i<j>) or subscribe to a channel of their own\n"
        "(Pusher), then stay silent; reports the server's RSS per connection (--server-pid).\n"
        "--idle-connections N keeps N such sessions open beside a light or full load.");
}

bool positive(const QString &text, double &out, bool allowZero = false)
{
    bool ok = false;
    const double v = text.toDouble(&ok);
    if (!ok || v < 0 || (!allowZero && v == 0))
        return false;
    out = v;
    return true;
}

} // namespace

std::variant<BenchOptions, QString> parseOptions(const QStringList &arguments, bool &helpRequested)
{
    helpRequested = false;
    BenchOptions o;
    QCommandLineParser p;
    p.setApplicationDescription(describe());
    p.addHelpOption();
    const auto opt = [&p](const QString &name, const QString &help, const QString &value) {
        QCommandLineOption option(name, help, value);
        p.addOption(option);
        return option;
    };
    const auto mode = opt(
        QStringLiteral("mode"), QStringLiteral("light, full or idle."), QStringLiteral("mode"));
    const auto protocol = opt(QStringLiteral("protocol"),
        QStringLiteral("dpichat (default) or pusher."), QStringLiteral("name"));
    const auto connections = opt(QStringLiteral("connections"),
        QStringLiteral("Idle mode: sessions to open (10000)."), QStringLiteral("n"));
    const auto idleConnections = opt(QStringLiteral("idle-connections"),
        QStringLiteral("Light and full mode: idle sessions open beside the load (0)."),
        QStringLiteral("n"));
    const auto idleUsers = opt(QStringLiteral("idle-users"),
        QStringLiteral("DPI Chat: users <prefix>-i1..M owning the idle sessions (100)."),
        QStringLiteral("m"));
    const auto idleHold = opt(QStringLiteral("idle-hold"),
        QStringLiteral("Idle mode: seconds to hold before sampling RSS (3)."), QStringLiteral("s"));
    const auto connectConcurrency = opt(QStringLiteral("connect-concurrency"),
        QStringLiteral("Idle sessions being set up at once (64)."), QStringLiteral("n"));
    const auto appKey = opt(
        QStringLiteral("app-key"), QStringLiteral("Pusher app key (app-key)."), QStringLiteral("k"));
    const auto appSecret = opt(QStringLiteral("app-secret"),
        QStringLiteral("Pusher app secret (app-secret)."), QStringLiteral("s"));
    const auto url = opt(QStringLiteral("url"), QStringLiteral("Server URL (ws:// or wss://)."),
        QStringLiteral("url"));
    const auto receiverUrl = opt(QStringLiteral("receiver-url"),
        QStringLiteral("Receiving sessions connect here (another instance); default: --url."),
        QStringLiteral("url"));
    const auto pairs = opt(
        QStringLiteral("pairs"), QStringLiteral("Number of pairs (100)."), QStringLiteral("n"));
    const auto fanout = opt(QStringLiteral("fanout"),
        QStringLiteral("Fan-out topology: 1 sender, K admin sessions."), QStringLiteral("k"));
    const auto duration = opt(
        QStringLiteral("duration"), QStringLiteral("Measured seconds (10)."), QStringLiteral("s"));
    const auto warmup = opt(QStringLiteral("warmup"),
        QStringLiteral("Unmeasured seconds first (2)."), QStringLiteral("s"));
    const auto drain = opt(QStringLiteral("drain"),
        QStringLiteral("Seconds to wait for stragglers at the end (5)."), QStringLiteral("s"));
    const auto rate = opt(QStringLiteral("rate"),
        QStringLiteral("Light mode: msg/s per sender (10)."), QStringLiteral("r"));
    const auto window = opt(QStringLiteral("window"),
        QStringLiteral("Full mode: messages in flight per sender (32)."), QStringLiteral("w"));
    const auto size = opt(QStringLiteral("size"), QStringLiteral("Message text bytes (64)."),
        QStringLiteral("bytes"));
    const auto threads = opt(QStringLiteral("threads"),
        QStringLiteral("Driver threads, each with its own event loop (1)."), QStringLiteral("n"));
    const auto logins = opt(QStringLiteral("login-concurrency"),
        QStringLiteral("Password logins in flight per thread (4)."), QStringLiteral("n"));
    const auto prefix = opt(QStringLiteral("users-prefix"),
        QStringLiteral("User e-mail prefix (bench)."), QStringLiteral("p"));
    const auto domain = opt(QStringLiteral("email-domain"),
        QStringLiteral("User e-mail domain (bench.invalid)."), QStringLiteral("d"));
    const auto password = opt(QStringLiteral("password"),
        QStringLiteral("Password of every bench user."), QStringLiteral("pw"));
    const auto client = opt(QStringLiteral("client"),
        QStringLiteral("lean (own RFC 6455 client, ws:// only) or qt."), QStringLiteral("kind"));
    const auto dispatcher = opt(QStringLiteral("event-dispatcher"),
        QStringLiteral("The worker threads' event loops: epoll (the server's dispatcher, the "
                       "default) or qt (Qt's own)."),
        QStringLiteral("kind"));
    const auto busyPoll = opt(QStringLiteral("busy-poll"),
        QStringLiteral("With the epoll dispatcher: each worker thread polls its sockets without "
                       "waiting for up to this many microseconds before it blocks (0, the "
                       "default: it blocks at once). A thread that does not sleep between "
                       "frames spares the server the cost of waking it; the time polled in "
                       "vain is reported and not counted as load."),
        QStringLiteral("us"));
    const auto json = opt(
        QStringLiteral("json"), QStringLiteral("Write results as JSON."), QStringLiteral("file"));
    const auto tokens = opt(QStringLiteral("tokens"),
        QStringLiteral("Session token cache (JSON): saves password logins "
                       "across runs."),
        QStringLiteral("file"));
    const auto serverPid = opt(QStringLiteral("server-pid"),
        QStringLiteral("Read the server's CPU time and RSS from /proc."), QStringLiteral("pid"));
    const auto label = opt(QStringLiteral("label"), QStringLiteral("Free text for the report."),
        QStringLiteral("text"));
    const auto idOrder = opt(QStringLiteral("id-order"),
        QStringLiteral("How clientIds follow each other: time (the time first, so every id "
                       "follows every earlier one of any sender, as UUIDs of version 7 do; "
                       "the default), sender (each sender's ids in order, no time in them) or "
                       "scattered (each sender's in no order, as random UUIDs of version 4)."),
        QStringLiteral("order"));
    const QCommandLineOption scatteredIds(QStringLiteral("scattered-ids"),
        QStringLiteral("The same as --id-order scattered."));
    p.addOption(scatteredIds);

    if (!p.parse(arguments))
        return p.errorText();
    if (p.isSet(QStringLiteral("help"))) {
        helpRequested = true;
        return p.helpText();
    }
    if (!p.positionalArguments().isEmpty())
        return QStringLiteral("unexpected argument: %1").arg(p.positionalArguments().first());

    if (p.isSet(mode)) {
        const QString m = p.value(mode);
        if (m == u"light")
            o.mode = LoadMode::Light;
        else if (m == u"full")
            o.mode = LoadMode::Full;
        else if (m == u"idle")
            o.mode = LoadMode::Idle;
        else
            return QStringLiteral("--mode must be light, full or idle");
    }
    if (p.isSet(protocol)) {
        const QString name = p.value(protocol);
        if (name == u"dpichat")
            o.protocol = Protocol::DpiChat;
        else if (name == u"pusher")
            o.protocol = Protocol::Pusher;
        else
            return QStringLiteral("--protocol must be dpichat or pusher");
    }
    if (p.isSet(client)) {
        const QString c = p.value(client);
        if (c == u"lean")
            o.client = ClientKind::Lean;
        else if (c == u"qt")
            o.client = ClientKind::Qt;
        else
            return QStringLiteral("--client must be lean or qt");
    }
    if (p.isSet(dispatcher)) {
        const QString d = p.value(dispatcher);
        if (d == u"epoll")
            o.epollDispatcher = true;
        else if (d == u"qt")
            o.epollDispatcher = false;
        else
            return QStringLiteral("--event-dispatcher must be epoll or qt");
    }
    if (p.isSet(url)) {
        o.url = QUrl(p.value(url), QUrl::StrictMode);
        if (!o.url.isValid() || (o.url.scheme() != u"ws" && o.url.scheme() != u"wss"))
            return QStringLiteral("--url must be a ws:// or wss:// URL");
    }
    if (p.isSet(receiverUrl)) {
        o.receiverUrl = QUrl(p.value(receiverUrl), QUrl::StrictMode);
        if (!o.receiverUrl.isValid() || o.receiverUrl.scheme() != o.url.scheme())
            return QStringLiteral("--receiver-url must be a URL of the same scheme as --url");
    }
    if (o.url.scheme() == u"wss" && o.client == ClientKind::Lean)
        return QStringLiteral("the lean client speaks ws:// only; use --client qt for wss://");

    const auto intOpt = [&p](const QCommandLineOption &option, int &out, int min, int max) {
        if (!p.isSet(option))
            return true;
        bool ok = false;
        const int v = p.value(option).toInt(&ok);
        if (!ok || v < min || v > max)
            return false;
        out = v;
        return true;
    };
    if (p.isSet(scatteredIds)) {
        o.idOrder = IdOrder::Scattered;
    } else if (p.isSet(idOrder)) {
        const std::optional<IdOrder> order = idOrderFromName(p.value(idOrder));
        if (!order)
            return QStringLiteral("--id-order must be time, sender or scattered");
        o.idOrder = *order;
    }
    if (!intOpt(pairs, o.pairs, 1, 100000))
        return QStringLiteral("--pairs must be an integer from 1");
    if (!intOpt(fanout, o.fanout, 0, 100000))
        return QStringLiteral("--fanout must be a non-negative integer");
    if (!intOpt(window, o.window, 1, 1000000))
        return QStringLiteral("--window must be a positive integer");
    if (!intOpt(size, o.textBytes, 1, 4000))
        return QStringLiteral("--size must be from 1 to 4000");
    if (!intOpt(busyPoll, o.busyPollUs, 0, 1000000))
        return QStringLiteral("--busy-poll must be from 0 to 1000000 microseconds");
    if (o.busyPollUs > 0 && !o.epollDispatcher)
        return QStringLiteral("--busy-poll needs --event-dispatcher epoll");
    if (!intOpt(threads, o.threads, 1, 64))
        return QStringLiteral("--threads must be from 1 to 64");
    if (!intOpt(logins, o.loginConcurrency, 1, 1000))
        return QStringLiteral("--login-concurrency must be a positive integer");
    if (o.mode == LoadMode::Idle) {
        o.idleConnections = 10000;
        if (!intOpt(connections, o.idleConnections, 1, 1000000))
            return QStringLiteral("--connections must be a positive integer");
        if (p.isSet(idleConnections))
            return QStringLiteral("--idle-connections is for light and full mode; use --connections");
    } else {
        if (p.isSet(connections))
            return QStringLiteral("--connections is for idle mode; use --idle-connections");
        if (!intOpt(idleConnections, o.idleConnections, 0, 1000000))
            return QStringLiteral("--idle-connections must be a non-negative integer");
    }
    if (!intOpt(idleUsers, o.idleUsers, 1, 1000000))
        return QStringLiteral("--idle-users must be a positive integer");
    if (!intOpt(connectConcurrency, o.connectConcurrency, 1, 100000))
        return QStringLiteral("--connect-concurrency must be a positive integer");
    if (p.isSet(idleHold) && !positive(p.value(idleHold), o.idleHoldS, true))
        return QStringLiteral("--idle-hold must be a non-negative number");
    if (p.isSet(duration) && !positive(p.value(duration), o.durationS))
        return QStringLiteral("--duration must be a positive number");
    if (p.isSet(warmup) && !positive(p.value(warmup), o.warmupS, true))
        return QStringLiteral("--warmup must be a non-negative number");
    if (p.isSet(drain) && !positive(p.value(drain), o.drainS, true))
        return QStringLiteral("--drain must be a non-negative number");
    if (p.isSet(rate) && !positive(p.value(rate), o.rate))
        return QStringLiteral("--rate must be a positive number");
    if (p.isSet(serverPid)) {
        bool ok = false;
        o.serverPid = p.value(serverPid).toLongLong(&ok);
        if (!ok || o.serverPid <= 0)
            return QStringLiteral("--server-pid must be a process id");
    }
    if (p.isSet(prefix))
        o.usersPrefix = p.value(prefix);
    if (p.isSet(domain))
        o.emailDomain = p.value(domain);
    if (p.isSet(password))
        o.password = p.value(password);
    if (p.isSet(appKey))
        o.appKey = p.value(appKey);
    if (p.isSet(appSecret))
        o.appSecret = p.value(appSecret);
    if (o.protocol == Protocol::Pusher && !o.receiverUrl.isEmpty())
        return QStringLiteral("--receiver-url is for DPI Chat instances on one database");
    o.jsonFile = p.value(json);
    o.tokensFile = p.value(tokens);
    o.label = p.value(label);
    return o;
}

} // namespace bench
