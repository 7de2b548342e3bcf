#include "allocator.h"
#include "auth/passwords.h"
#include "cli/admincli.h"
#include "config.h"
#include "logging.h"
#include "net/epolldispatcher.h"
#include "net/pgeventbus.h"
#include "server.h"
#include "store/messagejournal.h"
#include "store/sqlstore.h"
#include "store/walcheckpointer.h"
#include "timeslice.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

using namespace dpichat;
using namespace dpichat::server;

namespace {

int g_signalFds[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    // Only async-signal-safe calls here; the event loop does the rest.
    [[maybe_unused]] auto n = ::write(g_signalFds[0], &c, 1);
}

/// SIGTERM and SIGINT end the event loop through a socket pair, the way Qt's docs suggest.
void installSignalHandlers(QObject *context, std::function<void()> onStop)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0)
        return;
    auto *notifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [notifier, onStop] {
        notifier->setEnabled(false);
        char c;
        [[maybe_unused]] auto n = ::read(g_signalFds[1], &c, 1);
        onStop();
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

int fail(const QString &message, int code)
{
    QTextStream(stderr) << "dpichat-server: " << message << Qt::endl;
    return code;
}

} // namespace

int main(int argc, char *argv[])
{
    keepFreedMemory(32 << 20);
    qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{category} %{type}: %{message}"));
    // The main thread's event dispatcher can only be chosen before the application exists.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    if (eventDispatcherFor(arguments) == u"epoll") {
        auto *dispatcher = new EpollEventDispatcher;
        if (dispatcher->isValid())
            QCoreApplication::setEventDispatcher(dispatcher); // the main thread owns it
        else
            delete dispatcher; // warned; Qt's own dispatcher serves
    }
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("dpichat-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(DPICHAT_VERSION));

    ServerConfig config;
    const ParseOutcome parsed = parseCommandLine(QCoreApplication::arguments(), config);
    switch (parsed.kind) {
    case ParseOutcome::Help:
    case ParseOutcome::Version:
        QTextStream(stdout) << parsed.text << Qt::endl;
        return 0;
    case ParseOutcome::UsageError:
        return fail(parsed.text, 2);
    case ParseOutcome::Run:
        break;
    }
    if (!passwords::initialise())
        return fail(QStringLiteral("libsodium could not start"), 1);

    const auto options = storeOptionsFor(config);
    if (const auto *e = std::get_if<ProtocolError>(&options))
        return fail(e->message, 2);
    SqlStoreOptions storeOptions = std::get<SqlStoreOptions>(options);
    // Serving SQLite from a file: checkpoints run on a thread of their own (below). The log
    // starts over only when a commit begins with all of it copied, which under a steady
    // stream of commits needs the committing thread's own checkpoint of the last frames,
    // flushes included; the automatic limit says how often that happens. At 10,000 pages
    // (40 MiB) full speed reached it several times a second and the storage thread spent
    // 9% of its time waiting for the disk; at 50,000 (195 MiB at most) about once a second
    // (docs/performance.md, "The log started over less often").
    const bool ownCheckpoints = config.command.isEmpty() && storeOptions.driver == u"QSQLITE"
            && storeOptions.database != u":memory:";
    if (ownCheckpoints)
        storeOptions.walAutoCheckpointPages = 50000;
    if (!config.command.isEmpty()) {
        // A command's output is its answer, and its failure one line on stderr; the store's
        // progress notes while opening would only clutter them. Warnings still show.
        QLoggingCategory::setFilterRules(QStringLiteral("dpichat.*.info=false"));
    }
    if (storeOptions.driver == u"QSQLITE") {
        const QString dir = QFileInfo(storeOptions.database).absolutePath();
        if (!QDir().mkpath(dir))
            return fail(QStringLiteral("cannot create the data directory %1").arg(dir), 1);
    }
    SqlStore store(storeOptions);
    if (const auto opened = store.open(); const auto *e = std::get_if<ProtocolError>(&opened)) {
        // Name the database (never the PostgreSQL password) so the operator knows which one.
        const QString which = storeOptions.driver == u"QSQLITE"
            ? storeOptions.database
            : QStringLiteral("%1 on %2").arg(storeOptions.database, storeOptions.host);
        return fail(QStringLiteral("cannot open the database %1: %2").arg(which, e->message), 1);
    }

    if (!config.command.isEmpty()) {
        QTextStream in(stdin), out(stdout), err(stderr);
        return AdminCli(store, in, out, err).run(config);
    }

    if (config.demo) {
        if (const auto r = ensureDemoAccounts(store); const auto *e = std::get_if<ProtocolError>(&r))
            return fail(QStringLiteral("cannot add the demo accounts: %1").arg(e->message), 1);
    }

    // Several instances may share one PostgreSQL database: tell the others what happens here.
    SqlStore::AppendNotification notifyOthers;
    std::unique_ptr<EventBus> bus;
    if (store.isPostgres()) {
        auto pgBus = std::make_unique<PgEventBus>(store);
        notifyOthers = pgBus->appendNotification();
        bus = std::move(pgBus);
    } else {
        bus = std::make_unique<EventBus>();
    }
    std::optional<WalCheckpointer> checkpointer;
    if (ownCheckpoints) {
        checkpointer.emplace(storeOptions.database, storeOptions.synchronous.trimmed().toUpper());
        checkpointer->start();
    }
    // Messages acknowledged before a crash and not in the database yet (synchronous=NORMAL
    // acknowledges a few at a time once they are in this journal): stored before serving,
    // whatever the mode now. Never by the administration commands, which may run beside a
    // server that is storing them.
    QString journalPath;
    if (ownCheckpoints) {
        journalPath = MessageJournal::pathFor(storeOptions.database);
        const auto replayed = MessageJournal::replay(journalPath, store);
        if (const auto *e = std::get_if<ProtocolError>(&replayed))
            return fail(
                QStringLiteral("cannot store the messages in %1: %2").arg(journalPath, e->message),
                1);
        if (const int n = std::get<int>(replayed); n > 0)
            qCInfo(lcStore) << "stored" << n << "messages acknowledged before the last stop";
    }
    Server server(store, config, std::move(bus));
    // Messages are stored on a thread of their own, through a second connection: the disk
    // flush of one batch overlaps reading, answering and pushing the next. On a SQLite file
    // under FULL, that connection commits without flushing and the log is flushed on a
    // third thread (LogFlusher), so that storing the next batch overlaps the flush too;
    // nothing is acknowledged before its flush, as under FULL.
    const bool flushLog =
            ownCheckpoints && storeOptions.synchronous.trimmed().toUpper() == u"FULL";
    server.setStorageThreadStore([storeOptions, notifyOthers, flushLog]() -> std::unique_ptr<Store> {
        SqlStoreOptions writerOptions = storeOptions;
        writerOptions.appendsOnly = true;
        if (flushLog)
            writerOptions.synchronous = QStringLiteral("NORMAL");
        auto writer = std::make_unique<SqlStore>(writerOptions);
        writer->setAppendNotification(notifyOthers);
        return writer;
    }, flushLog);
    const bool journals
        = ownCheckpoints && storeOptions.synchronous.trimmed().toUpper() == u"NORMAL";
    if (journals)
        server.setMessageJournal(journalPath);
    if (const auto started = server.start(); const auto *e = std::get_if<ProtocolError>(&started))
        return fail(e->message, 1);
    // Under NORMAL (SQLite), the event loop asks for the shortest time slice; the storage and
    // checkpoint threads (and any started later) keep the default. Woken by a frame, it then
    // takes the core at once from whichever of them, or a kernel thread, has it, instead of
    // after the rest of that one's slice. Not under FULL: there full speed lost 8-15% with it
    // (the flush thread's every wake-up a preemption), and the light load waits for the disk
    // (docs/performance.md, "The event loop's short time slice").
    if (journals && !setOwnTimeSlice(kShortestTimeSlice))
        qCDebug(lcNet) << "the event loop keeps the kernel's time slice";

    QTextStream out(stdout);
    // Before the line that says it listens: whoever waits for that line finds this one too.
    if (server.metricsPort() != 0) {
        out << "metrics on http://" << config.metricsListen.toString() << ':'
            << server.metricsPort() << "/metrics and /healthz" << Qt::endl;
    }
    out << "dpichat-server " << DPICHAT_VERSION << " listening on "
        << (server.isSecure() ? "wss://" : "ws://")
        << config.listen.toString() << ':' << server.port() << "/" << Qt::endl;
    if (config.demo) {
        out << "demo accounts: hello@designpi.com / admin123 (admin), "
               "john.doe@example.com / customer123 (customer), "
               "mia.member@example.com / member123 (member)"
            << Qt::endl;
    }

    installSignalHandlers(&app, [&] {
        qCInfo(lcNet) << "shutting down";
        server.shutdown();
        // Quit once every client has answered the close frame (so the frames did go out), and
        // never later than 3 s: systemd's stop timeout and the 5 s promise stay far away.
        auto *poll = new QTimer(&app);
        QObject::connect(poll, &QTimer::timeout, &app,
                         [&server, deadline = QDeadlineTimer(3000)] {
                             if (server.listener().connectionCount() == 0 || deadline.hasExpired())
                                 QCoreApplication::quit();
                         });
        poll->start(20);
    });
    const int code = app.exec();
    server.router().flushLastSeen();
    store.close();
    if (checkpointer)
        checkpointer->stop();
    return code;
}
