#include "benchdata.h"

#include "auth/passwords.h"
#include "store/sqlstore.h"

#include <QDir>
#include <QTextStream>

using namespace Qt::StringLiterals;

namespace dpichat::clientbench {

namespace {

QString messageText(int i)
{
    static const QString words = u"Thanks for getting back to me. The export still stops at "
                                 u"the second page, and the log says the licence was not "
                                 u"found although it is in the usual folder on this machine. "_s;
    // Lengths from a few words to several lines, so bubbles differ in height.
    const int len = 12 + (i * 37) % (words.size() - 12);
    return u"#%1 "_s.arg(i) + words.left(len);
}

} // namespace

int generate(const QString &dir)
{
    if (!server::passwords::initialise())
        return 1;
    const QByteArray hash = server::passwords::hash(kPassword); // once: ~50 ms each
    auto fill = [&](const QString &file, int threads, int messagesInFirst) -> qint64 {
        server::SqlStoreOptions options;
        options.database = QDir(dir).filePath(file);
        options.synchronous = u"NORMAL"_s;
        server::SqlStore store(options);
        if (hasError(store.open()))
            return -1;
        const auto admin = store.addUser(kAdminEmail, u"Bench Admin"_s, Role::Admin, hash);
        if (hasError(admin))
            return -1;
        const qint64 adminId = std::get<server::StoredUser>(admin).user.id;
        QList<server::StoredUser> customers;
        for (int c = 0; c < threads; ++c) {
            const auto u = store.addUser(u"customer%1@bench.test"_s.arg(c),
                u"Customer %1"_s.arg(c), Role::Customer, hash);
            if (hasError(u))
                return -1;
            customers.append(std::get<server::StoredUser>(u));
        }
        QList<server::NewMessage> batch;
        auto flush = [&] {
            if (!batch.isEmpty() && hasError(store.appendMessages(batch)))
                return false;
            batch.clear();
            return true;
        };
        // Every thread but the first: one message each.
        for (qsizetype c = 1; c < customers.size(); ++c) {
            batch.append({ customers.at(c).threadId, customers.at(c).user.id,
                u"c%1"_s.arg(c), messageText(int(c)) });
            if (batch.size() >= 5000 && !flush())
                return -1;
        }
        const server::StoredUser &first = customers.first();
        for (int i = 1; i <= messagesInFirst; ++i) {
            const bool fromCustomer = i % 3 != 0;
            batch.append({ first.threadId, fromCustomer ? first.user.id : adminId,
                u"m%1"_s.arg(i), messageText(i) });
            if (batch.size() >= 5000 && !flush())
                return -1;
        }
        if (!flush())
            return -1;
        return first.threadId;
    };
    const qint64 big = fill(u"open.sqlite"_s, 1, kThreadMessages);
    const qint64 inbox = fill(u"inbox.sqlite"_s, kInboxThreads, 1);
    if (big <= 0 || inbox <= 0)
        return 1;
    QTextStream(stdout) << "thread " << big << "\n";
    return 0;
}

} // namespace dpichat::clientbench
