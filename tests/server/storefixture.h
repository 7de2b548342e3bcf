// What the store suites share: a fresh database per test case (SQLite in a temporary folder,
// or PostgreSQL when DPICHAT_TEST_DB=postgres, a second CTest entry), helpers to add users and
// messages, a plain second connection to look behind the Store, and the check of the counters
// against counted rows.
#pragma once

#include "protocol/fastjson.h"
#include "store/migrations.h"
#include "store/sqlstore.h"
#include "pgtestdb.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <memory>

using namespace dpichat;
using namespace dpichat::server;
using namespace Qt::StringLiterals;

namespace storetest {

template<typename T>
QByteArray errorText(const Expected<T> &e)
{
    return hasError(e) ? std::get<ProtocolError>(e).message.toUtf8() : QByteArray();
}

inline QString newClientId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

/// A second, plain connection to the test's database, to look behind the Store.
class RawDb
{
public:
    explicit RawDb(const SqlStoreOptions &o)
        : m_name(u"raw-"_s + newClientId())
    {
        m_db = QSqlDatabase::addDatabase(o.driver, m_name);
        m_db.setDatabaseName(o.database);
        if (o.driver == u"QPSQL") {
            m_db.setHostName(o.host);
            m_db.setPort(o.port);
            m_db.setUserName(o.user);
            m_db.setPassword(o.password);
        }
        m_db.open();
    }
    ~RawDb()
    {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_name);
    }
    QSqlDatabase &db() { return m_db; }
    QVariant scalar(const QString &sql)
    {
        QSqlQuery q(m_db);
        if (!q.exec(sql) || !q.next())
            return {};
        return q.value(0);
    }

private:
    QString m_name;
    QSqlDatabase m_db;
};


// Unwraps an Expected or fails the test with the store's error.
#define TAKE(var, expr)                                                                            \
    auto var##Expected = (expr);                                                                   \
    QVERIFY2(!hasError(var##Expected), errorText(var##Expected).constData());                      \
    auto var = std::get<0>(std::move(var##Expected))

class StoreFixture
{
protected:
    // The suite runs on SQLite, and on PostgreSQL when DPICHAT_TEST_DB=postgres (a second
    // CTest entry): every test case gets a fresh database either way.
    SqlStoreOptions dbOptions() const
    {
        SqlStoreOptions options;
        if (m_pg) {
            options.driver = u"QPSQL"_s;
            options.database = m_pg->databaseName();
            options.host = m_pg->host();
            options.port = m_pg->port();
            options.user = m_pg->userName();
            options.password = m_pg->password();
        } else {
            options.database = m_dir->filePath(u"chat.db"_s);
        }
        return options;
    }
    bool isSqlite() const { return !m_pg; }
    // appendsOnly: a store like the server's storage thread's (SqlStoreOptions::appendsOnly).
    std::unique_ptr<SqlStore> openStore(bool appendsOnly = false)
    {
        SqlStoreOptions options = dbOptions();
        options.appendsOnly = appendsOnly;
        auto store = std::make_unique<SqlStore>(options);
        const Expected<bool> opened = store->open();
        if (hasError(opened))
            return nullptr;
        return store;
    }
    // Through SQLite's own API or through QtSql only; nullptr when it did not open.
    std::unique_ptr<SqlStore> openStoreThrough(bool sqliteApi)
    {
        SqlStoreOptions options = dbOptions();
        options.nativeApi = sqliteApi;
        auto store = std::make_unique<SqlStore>(options);
        if (hasError(store->open()))
            return nullptr;
        return store;
    }
    // Adds a user or fails the test; `ok` tells the caller to stop.
    StoredUser addUser(SqlStore &store, const QString &email, Role role, bool *ok)
    {
        const auto added = store.addUser(email, email.section(u'@', 0, 0), role, "hash"_ba);
        *ok = !hasError(added);
        return *ok ? std::get<StoredUser>(added) : StoredUser{};
    }
    QList<AppendResult> send(SqlStore &store, const QList<NewMessage> &batch, bool *ok)
    {
        const auto appended = store.appendMessages(batch);
        *ok = !hasError(appended);
        return *ok ? std::get<QList<AppendResult>>(appended) : QList<AppendResult>{};
    }
    NewMessage msg(const StoredUser &sender, qint64 thread, const QString &text)
    {
        return NewMessage{thread, sender.user.id, newClientId(), text};
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<PgTestDatabase> m_pg;

    // Called from each suite's init() and cleanup() slots.
    void setUp()
    {
        QLoggingCategory::setFilterRules(u"dpichat.server.store.info=false"_s);
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        if (PgTestDatabase::wanted()) {
            m_pg = std::make_unique<PgTestDatabase>();
            QVERIFY2(m_pg->isValid(), qPrintable(m_pg->error()));
        }
    }
    void tearDown()
    {
        m_pg.reset();
        m_dir.reset();
    }

    // Every thread as each user sees it, against what counting the rows gives: the counters that
    // schema step 2 keeps (docs/performance.md, "Big data") must always say what PROTOCOL.md
    // defines: unread, readUpTo.owner, readUpTo.team, lastMessage, and the inbox's order.
    // The `threads` reply that the store writes straight from the database's rows (SQLite
    // through its own API; none elsewhere) says what encoding threadsFor() says, with the
    // presence it asked for on each thread: some owners online, some with a newer last seen.
    void checkThreadsReply(SqlStore &store, const User &viewer, const QList<Thread> &threads)
    {
        const QDateTime newer = QDateTime::fromMSecsSinceEpoch(4102444800123LL, Qt::UTC);
        QHash<qint64, qint64> asked;
        const auto presence = [&](qint64 thread, qint64 owner) {
            asked.insert(thread, owner);
            return OwnerPresence{owner % 2 == 0,
                                 owner % 3 == 0 ? std::optional<QDateTime>(newer) : std::nullopt};
        };
        const QJsonValue re(u"r-%1"_s.arg(viewer.id));
        TAKE(direct, store.threadsReply(viewer, re, presence));
        QCOMPARE(direct.has_value(), store.usesNativeApi());
        if (!direct)
            return;
        QList<Thread> expected = threads;
        QHash<qint64, qint64> owners;
        for (Thread &t : expected) {
            owners.insert(t.id, t.owner.id);
            t.owner.online = t.owner.id % 2 == 0;
            if (t.owner.id % 3 == 0)
                t.owner.lastSeen = newer;
        }
        QCOMPARE(asked, owners);
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(*direct, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, direct->left(200).constData());
        QCOMPARE(doc.object(), QJsonDocument::fromJson(fastjson::threadsReply(expected, re)).object());
    }

    // Thread lists are read through the database's own API or through QtSql
    // (SqlStoreOptions::nativeApi): a second store on the same database reads them the other
    // way, and every list and thread must come out the same, field for field.
    void checkCountersAgainstRows(SqlStore &store, const QList<StoredUser> &users)
    {
        std::unique_ptr<SqlStore> otherPath;
        {
            SqlStoreOptions options = store.options();
            options.nativeApi = !store.usesNativeApi();
            otherPath = std::make_unique<SqlStore>(options);
            QVERIFY(!hasError(otherPath->open()));
            QCOMPARE(otherPath->usesNativeApi(), options.nativeApi);
        }
        RawDb raw(dbOptions());
        const auto count = [&](const QString &sql) { return raw.scalar(sql).toLongLong(); };
        for (const StoredUser &viewer : users) {
            TAKE(threads, store.threadsFor(viewer.user));
            checkThreadsReply(store, viewer.user, threads);
            if (otherPath) {
                checkThreadsReply(*otherPath, viewer.user, threads);
                TAKE(same, otherPath->threadsFor(viewer.user));
                QVERIFY2(same == threads, qPrintable(u"viewer %1"_s.arg(viewer.user.id)));
                for (const Thread &t : threads) {
                    TAKE(one, otherPath->threadFor(t.id, viewer.user));
                    QVERIFY2(one && *one == t, qPrintable(u"thread %1"_s.arg(t.id)));
                }
            }
            qint64 previousLast = std::numeric_limits<qint64>::max();
            for (const Thread &t : threads) {
                const QByteArray where = u"viewer %1, thread %2"_s.arg(viewer.user.id).arg(t.id).toUtf8();
                const qint64 last = count(u"SELECT COALESCE(MAX(id), 0) FROM messages WHERE thread = %1"_s
                                                  .arg(t.id));
                const qint64 unread = count(
                        u"SELECT COUNT(*) FROM messages m WHERE m.thread = %1 AND m.sender <> %2 "
                        u"AND m.id > COALESCE((SELECT up_to FROM read_cursors "
                        u"WHERE thread = %1 AND user_id = %2), 0)"_s.arg(t.id).arg(viewer.user.id));
                const qint64 owner = count(u"SELECT COALESCE(MAX(up_to), 0) FROM read_cursors "
                                           u"WHERE thread = %1 AND user_id = %2"_s.arg(t.id).arg(
                                                   t.owner.id));
                const qint64 team = count(
                        u"SELECT COALESCE(MAX(rc.up_to), 0) FROM read_cursors rc JOIN users a "
                        u"ON a.id = rc.user_id WHERE rc.thread = %1 AND a.role = 'admin'"_s.arg(t.id));
                QVERIFY2(t.unread == unread, where.constData());
                QVERIFY2(t.readUpToOwner == owner, where.constData());
                QVERIFY2(t.readUpToTeam == team, where.constData());
                QVERIFY2(t.lastMessage.has_value() == (last > 0), where.constData());
                if (t.lastMessage) {
                    // The thread's copy of its newest message is that message, field for field.
                    TAKE(newest, store.history(t.id, std::nullopt, 1));
                    QVERIFY2(newest.messages.size() == 1, where.constData());
                    QVERIFY2(newest.messages.constFirst().id == last, where.constData());
                    QVERIFY2(*t.lastMessage == newest.messages.constFirst(), where.constData());
                }
                QVERIFY2(last <= previousLast, where.constData()); // Newest activity first.
                previousLast = last;
            }
        }
    }
};

} // namespace storetest
