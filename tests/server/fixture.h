#pragma once

#include "pgtestdb.h"
#include "serverprocess.h"
#include "testclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

/// A server process with a fixed cast of users, shared by the protocol suites.
struct ProtocolFixture
{
    QTemporaryDir dir;
    std::unique_ptr<PgTestDatabase> pg; ///< The PostgreSQL variant's database; outlives the server.
    std::unique_ptr<ServerProcess> server;
    QHash<QString, qint64> userIds; ///< Filled in by client().

    static constexpr const char *kPassword = "correct horse";

    bool start(const QStringList &extraArgs = {QStringLiteral("--rate-limit"), QStringLiteral("0")})
    {
        if (!dir.isValid())
            return false;
        server = std::make_unique<ServerProcess>(dir.filePath(QStringLiteral("chat.db")));
        if (PgTestDatabase::wanted()) {
            pg = std::make_unique<PgTestDatabase>();
            if (!pg->isValid()) {
                qWarning("PostgreSQL variant: %s", qPrintable(pg->error()));
                return false;
            }
            server->setDatabaseUrl(pg->url());
        }
        const QString pw = QString::fromLatin1(kPassword);
        const struct { const char *email, *name, *role; } users[] = {
            {"ann@support.test", "Ann", "admin"},
            {"bob@support.test", "Bob", "admin"},
            {"carol@customer.test", "Carol", "customer"},
            {"dave@customer.test", "Dave", "customer"},
            {"mia@team.test", "Mia", "member"},
        };
        for (const auto &u : users) {
            if (!server->addUser(QString::fromLatin1(u.email), QString::fromLatin1(u.name),
                                 QString::fromLatin1(u.role), pw))
                return false;
        }
        return server->start(extraArgs);
    }

    /// A connected, logged-in client; nullptr (and a test failure) if that did not work.
    std::unique_ptr<TestClient> client(const char *email)
    {
        auto c = std::make_unique<TestClient>(server->url());
        if (!c->open())
            return nullptr;
        const QJsonObject welcome = c->login(QString::fromLatin1(email), QString::fromLatin1(kPassword));
        if (welcome.value(QLatin1StringView("type")).toString() != u"welcome")
            return nullptr;
        userIds.insert(QString::fromLatin1(email),
                       welcome.value(QLatin1StringView("user")).toObject().value(QLatin1StringView("id")).toInteger());
        return c;
    }
};

inline QJsonObject obj(std::initializer_list<std::pair<QString, QJsonValue>> fields)
{
    QJsonObject o;
    for (const auto &[k, v] : fields)
        o.insert(k, v);
    return o;
}

inline QString typeOf(const QJsonObject &o)
{
    return o.value(QLatin1StringView("type")).toString();
}

inline QString codeOf(const QJsonObject &o)
{
    return o.value(QLatin1StringView("code")).toString();
}
