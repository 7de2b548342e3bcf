#include "storemeasure.h"

#include "protocol/limits.h"
#include "store/sqlstore.h"

#include <QElapsedTimer>
#include <QSqlError>
#include <QTextStream>

#include <ctime>

using namespace Qt::StringLiterals;

namespace dpichat::bigdata {

Sampler::Sampler(const server::SqlStoreOptions &store, quint64 seed)
    : m_connection(u"bigdata-sampler"_s)
    , m_rng(seed)
{
    m_db = QSqlDatabase::addDatabase(store.driver, m_connection);
    m_db.setDatabaseName(store.database);
    if (store.driver == u"QPSQL") {
        m_db.setHostName(store.host);
        m_db.setPort(store.port);
        m_db.setUserName(store.user);
        m_db.setPassword(store.password);
    }
}

Sampler::~Sampler()
{
    m_threadOf = QSqlQuery();
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connection);
}

bool Sampler::load()
{
    if (!m_db.open()) {
        m_error = m_db.lastError().text();
        return false;
    }
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (!q.exec(u"SELECT id, name, email FROM users WHERE role = 'admin' ORDER BY id"_s)) {
        m_error = q.lastError().text();
        return false;
    }
    while (q.next())
        m_admins.append(User{q.value(0).toLongLong(), q.value(1).toString(),
                             q.value(2).toString(), Role::Admin, false, std::nullopt});
    if (!q.exec(u"SELECT t.id, u.id, u.name, u.email, u.role FROM threads t "
                u"JOIN users u ON u.id = t.owner ORDER BY t.id"_s)) {
        m_error = q.lastError().text();
        return false;
    }
    while (q.next()) {
        User owner{q.value(1).toLongLong(), q.value(2).toString(), q.value(3).toString(),
                   roleFromName(q.value(4).toString()).value_or(Role::Customer), false,
                   std::nullopt};
        m_threads.append({q.value(0).toLongLong(), owner});
    }
    if (!q.exec(u"SELECT COALESCE(MAX(id), 0) FROM messages"_s) || !q.next()) {
        m_error = q.lastError().text();
        return false;
    }
    m_maxMessageId = q.value(0).toLongLong();
    m_threadOf = QSqlQuery(m_db);
    m_threadOf.setForwardOnly(true);
    m_threadOf.prepare(u"SELECT thread FROM messages WHERE id >= ? ORDER BY id LIMIT 1"_s);
    if (m_admins.isEmpty() || m_threads.isEmpty() || m_maxMessageId == 0) {
        m_error = u"the database has no admin, thread or message: generate it first"_s;
        return false;
    }
    return true;
}

qint64 Sampler::randomThread()
{
    return m_threads.at(std::uniform_int_distribution<qsizetype>(0, m_threads.size() - 1)(m_rng))
            .first;
}

User Sampler::randomOwner()
{
    return m_threads.at(std::uniform_int_distribution<qsizetype>(0, m_threads.size() - 1)(m_rng))
            .second;
}

std::pair<qint64, qint64> Sampler::randomThreadWithOwner()
{
    const auto &t = m_threads.at(
            std::uniform_int_distribution<qsizetype>(0, m_threads.size() - 1)(m_rng));
    return {t.first, t.second.id};
}

std::pair<qint64, qint64> Sampler::randomMessage()
{
    const qint64 id = std::uniform_int_distribution<qint64>(1, m_maxMessageId)(m_rng);
    m_threadOf.addBindValue(id);
    qint64 thread = m_threads.constFirst().first;
    if (m_threadOf.exec() && m_threadOf.next())
        thread = m_threadOf.value(0).toLongLong();
    m_threadOf.finish();
    return {id, thread};
}

qint64 Sampler::randomCursor()
{
    return std::uniform_int_distribution<qint64>(0, m_maxMessageId)(m_rng);
}

namespace {

qint64 threadCpuNs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

template<typename Call>
bool timeCall(Series &series, Call &&call)
{
    QElapsedTimer t;
    const qint64 cpu = threadCpuNs();
    t.start();
    const bool ok = call();
    series.micros.append(t.nsecsElapsed() / 1000);
    series.cpuMicros.append((threadCpuNs() - cpu) / 1000);
    return ok;
}

} // namespace

bool measureStore(const Options &options, Sampler &sampler, QList<Series> &series)
{
    QTextStream out(stdout);
    server::SqlStore store(options.store);
    const Expected<bool> opened = store.open();
    if (const auto *e = std::get_if<ProtocolError>(&opened)) {
        QTextStream(stderr) << "dpichat-bigdata: cannot open the store: " << e->message << Qt::endl;
        return false;
    }
    Series threads{u"threads (admin, all threads)"_s, 50, {}, {}};
    // What the server answers `threads` with where the store can (SQLite through its own
    // API): the reply's JSON written from the rows, presence asked per thread.
    Series threadsReply{u"threads reply (admin, JSON)"_s, 50, {}, {}};
    const bool direct = store.usesNativeApi();
    Series historyNewest{u"history (newest page, 50)"_s, 5, {}, {}};
    Series historyBefore{u"history (before an id, 50)"_s, 5, {}, {}};
    Series syncAdmin{u"sync (admin, page of 500)"_s, 20, {}, {}};
    Series syncOwner{u"sync (owner, page of 500)"_s, 20, {}, {}};
    const int historyLimit = limits::kHistoryDefaultLimit;
    const int syncLimit = limits::kSyncMaxLimit;

    qint64 threadRows = 0, unread = 0, historyRows = 0, syncRows = 0;
    bool ok = true;
    const auto listThreads = [&] {
        const User &admin = sampler.admins().at(threads.micros.size() % sampler.admins().size());
        return timeCall(threads, [&] {
            const auto r = store.threadsFor(admin);
            if (hasError(r))
                return false;
            const auto &list = std::get<QList<Thread>>(r);
            threadRows = list.size();
            unread = 0;
            for (const Thread &t : list)
                unread += t.unread;
            return true;
        });
    };
    const server::ThreadPresence offline = [](qint64, qint64) { return server::OwnerPresence{}; };
    const auto replyThreads = [&] {
        const User &admin =
                sampler.admins().at(threadsReply.micros.size() % sampler.admins().size());
        return timeCall(threadsReply, [&] {
            const auto r = store.threadsReply(admin, QJsonValue(1), offline);
            return !hasError(r) && std::get<std::optional<QByteArray>>(r).has_value();
        });
    };
    // One untimed round first, so that every series starts from the same warm caches, the
    // reply's included: on PostgreSQL its first call on a connection also looks up the last
    // senders' names, which the connection then keeps (75 ms against 20-35 for later calls).
    ok = !hasError(store.threadsFor(sampler.admins().constFirst()))
            && (!direct
                || !hasError(store.threadsReply(sampler.admins().constFirst(), QJsonValue(1),
                                                offline)))
            && !hasError(store.history(sampler.randomThread(), std::nullopt, historyLimit))
            && !hasError(store.sync(sampler.admins().constFirst(), 0, syncLimit));

    const int threadsEvery = std::max(1, options.samples / options.threadsSamples);
    for (int i = 0; ok && i < options.samples; ++i) {
        if (i % threadsEvery == 0 && threads.micros.size() < options.threadsSamples)
            ok = listThreads();
        if (ok && direct && i % threadsEvery == 0
            && threadsReply.micros.size() < options.threadsSamples)
            ok = replyThreads();
        const qint64 thread = sampler.randomThread();
        const auto [before, beforeThread] = sampler.randomMessage();
        const qint64 cursorAdmin = sampler.randomCursor();
        const qint64 cursorOwner = sampler.randomCursor();
        const User owner = sampler.randomOwner();
        const User &admin = sampler.admins().at(i % sampler.admins().size());
        const auto page = [&](const Expected<server::MessagePage> &r, qint64 &rows) {
            if (hasError(r))
                return false;
            rows += std::get<server::MessagePage>(r).messages.size();
            return true;
        };
        ok = ok && timeCall(historyNewest, [&] {
            return page(store.history(thread, std::nullopt, historyLimit), historyRows);
        });
        ok = ok && timeCall(historyBefore, [&] {
            return page(store.history(beforeThread, before, historyLimit), historyRows);
        });
        ok = ok && timeCall(syncAdmin, [&] {
            return page(store.sync(admin, cursorAdmin, syncLimit), syncRows);
        });
        ok = ok && timeCall(syncOwner, [&] {
            return page(store.sync(owner, cursorOwner, syncLimit), syncRows);
        });
    }
    while (ok && threads.micros.size() < options.threadsSamples)
        ok = listThreads();
    while (ok && direct && threadsReply.micros.size() < options.threadsSamples)
        ok = replyThreads();
    series = {threads, historyNewest, historyBefore, syncAdmin, syncOwner};
    if (direct)
        series.insert(1, threadsReply);

    // The write path with the counters the schema keeps (trigger): a batch as the committer
    // hands it over, messages from owners and admins into random threads.
    Series appends{u"append (batch of 32, one commit)"_s, 0, {}, {}};
    std::mt19937_64 rng(options.seed + 1);
    for (int b = 0; ok && b < options.appends; ++b) {
        QList<server::NewMessage> batch;
        for (int i = 0; i < 32; ++i) {
            const auto [thread, owner] = sampler.randomThreadWithOwner();
            const bool fromOwner = rng() % 2 == 0;
            const User &admin = sampler.admins().at(rng() % sampler.admins().size());
            batch.append({thread, fromOwner ? owner : admin.id,
                          u"bigdata-append-%1-%2-%3"_s.arg(options.seed).arg(b).arg(i),
                          u"Appended while measuring."_s});
        }
        ok = timeCall(appends, [&] { return !hasError(store.appendMessages(batch)); });
    }
    if (!appends.micros.isEmpty())
        series.append(appends);
    out << "store: " << threadRows << " threads per list (" << unread
        << " unread for the last admin), " << historyRows << " history rows, " << syncRows
        << " sync rows read" << Qt::endl;
    if (!ok)
        QTextStream(stderr) << "dpichat-bigdata: a store call failed" << Qt::endl;
    return ok;
}

} // namespace dpichat::bigdata
