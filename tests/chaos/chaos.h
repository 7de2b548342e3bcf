#pragma once

// Helpers shared by the chaos suites: a real server process with a cast of users, clients
// logged in as them, complete `sync` catch-up, and the server's peak memory.

#include "serverprocess.h"
#include "testclient.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <unistd.h>

namespace chaos {

using namespace Qt::StringLiterals;

inline constexpr const char *kPassword = "correct horse";

inline QString str(const QJsonObject &o, QLatin1StringView key)
{
    return o.value(key).toString();
}

inline QString typeOf(const QJsonObject &o)
{
    return str(o, "type"_L1);
}

inline QString codeOf(const QJsonObject &o)
{
    return str(o, "code"_L1);
}

inline QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

inline QString sendFrame(qint64 requestId, qint64 thread, const QString &clientId,
                         const QString &text)
{
    return compact({{"type"_L1, "send"_L1},
                    {"id"_L1, requestId},
                    {"thread"_L1, thread},
                    {"clientId"_L1, clientId},
                    {"text"_L1, text}});
}

/// A logged-in client with what its welcome said.
struct Client
{
    std::unique_ptr<TestClient> c;
    qint64 userId = 0;
    qint64 thread = 0; ///< Own thread (0 for an admin).
    QString token;
};

/// A server process on a temporary SQLite file, and the users added to it.
struct ChaosServer
{
    QTemporaryDir dir;
    std::unique_ptr<ServerProcess> server;

    bool init()
    {
        if (!dir.isValid())
            return false;
        server = std::make_unique<ServerProcess>(dir.filePath(u"chat.db"_s));
        return true;
    }

    bool addUser(const QString &email, const QString &role)
    {
        return server->addUser(email, email.section(u'@', 0, 0), role,
                               QString::fromLatin1(kPassword));
    }

    /// Logs in by password (or by token when one is given) and finds the user's own thread.
    Client login(const QString &email, const QString &token = {}, int openTimeoutMs = 10'000)
    {
        Client out;
        auto c = std::make_unique<TestClient>(server->url());
        if (!c->open(openTimeoutMs))
            return out;
        const QJsonObject welcome = token.isEmpty()
            ? c->login(email, QString::fromLatin1(kPassword))
            : c->loginWithToken(token);
        if (typeOf(welcome) != "welcome"_L1) {
            qWarning("login of %s: %s", qPrintable(email), qPrintable(compact(welcome)));
            return out;
        }
        out.userId = welcome.value("user"_L1).toObject().value("id"_L1).toInteger();
        out.token = str(welcome, "token"_L1);
        if (welcome.value("user"_L1).toObject().value("role"_L1).toString() != "admin"_L1) {
            const QJsonArray threads =
                c->request({{"type"_L1, "threads"_L1}}, 30'000).value("threads"_L1).toArray();
            if (threads.size() == 1)
                out.thread = threads.first().toObject().value("id"_L1).toInteger();
        }
        out.c = std::move(c);
        return out;
    }
};

/// Everything visible to the client by `sync` from `after`, page by page (`pages` counts
/// them). False, with a warning, on an error, a time-out or a page that breaks the rules.
inline bool syncAll(TestClient &c, QList<QJsonObject> &out, int limit = 500, qint64 after = 0,
                    int *pages = nullptr)
{
    out.clear();
    for (int page = 0; page < 100'000; ++page) {
        const QJsonObject reply = c.request(
            {{"type"_L1, "sync"_L1}, {"after"_L1, after}, {"limit"_L1, limit}}, 60'000);
        if (typeOf(reply) != "sync"_L1) {
            qWarning("sync failed: %s", qPrintable(compact(reply)));
            return false;
        }
        if (pages)
            *pages = page + 1;
        const QJsonArray messages = reply.value("messages"_L1).toArray();
        if (messages.size() > limit) {
            qWarning("a sync page is larger than asked");
            return false;
        }
        for (const QJsonValue &m : messages)
            out.append(m.toObject());
        if (!reply.value("hasMore"_L1).toBool())
            return true;
        if (messages.isEmpty()) {
            qWarning("sync said hasMore with an empty page");
            return false;
        }
        after = messages.last().toObject().value("id"_L1).toInteger();
    }
    return false;
}

/// The pid of the dpichat-server process this test started (its child), or 0.
inline qint64 serverPid()
{
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs);
    for (const QString &e : entries) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (!ok)
            continue;
        QFile stat(u"/proc/%1/stat"_s.arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        // pid (comm) state ppid ...: comm may hold spaces, so parse from the last ')'.
        const qsizetype close = line.lastIndexOf(')');
        const QByteArray comm = line.mid(line.indexOf('(') + 1, close - line.indexOf('(') - 1);
        const QList<QByteArray> rest = line.mid(close + 2).split(' ');
        if (comm.startsWith("dpichat-server") && rest.size() > 1 && rest.at(1).toLongLong() == getpid())
            return pid;
    }
    return 0;
}

/// The state letter of /proc/PID/stat (R running, S sleeping, T stopped, ...), or 0.
inline char procState(qint64 pid)
{
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray line = f.readAll();
    const qsizetype close = line.lastIndexOf(')'); // comm may hold spaces and parentheses
    return close > 0 && close + 2 < line.size() ? line.at(close + 2) : 0;
}

/// A field of /proc/PID/status in KiB (VmHWM: peak resident memory), or -1.
inline qint64 procStatusKiB(qint64 pid, const char *field)
{
    QFile f(u"/proc/%1/status"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(field))
            return line.mid(qsizetype(qstrlen(field)) + 1).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

/// Answers to frames sent with sendRaw (ids below TestClient's own), by `re`.
inline QHash<qint64, QJsonObject> rawReplies(const TestClient &c)
{
    QHash<qint64, QJsonObject> out;
    for (const QJsonObject &o : std::as_const(const_cast<TestClient &>(c).pushes())) {
        const QJsonValue re = o.value("re"_L1);
        if (re.isDouble())
            out.insert(re.toInteger(), o);
    }
    return out;
}

} // namespace chaos
