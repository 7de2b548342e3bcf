#include "models/threadmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#include <limits>

using namespace dpichat;

namespace {

Thread makeThread(qint64 id, const QString &name, qint64 lastMessageId = 0, qint64 unread = 0)
{
    Thread t;
    t.id = id;
    t.owner.id = 100 + id;
    t.owner.name = name;
    t.owner.email = name.toLower() + QStringLiteral("@example.com");
    t.owner.role = Role::Customer;
    t.unread = unread;
    if (lastMessageId > 0) {
        Message m;
        m.id = lastMessageId;
        m.thread = id;
        m.sender = t.owner.id;
        m.senderName = name;
        m.clientId = QStringLiteral("c%1").arg(lastMessageId);
        m.text = QStringLiteral("hello %1").arg(lastMessageId);
        m.createdAt = QDateTime::currentDateTimeUtc();
        t.lastMessage = m;
    }
    return t;
}

Message message(qint64 id, qint64 threadId, qint64 sender)
{
    Message m;
    m.id = id;
    m.thread = threadId;
    m.sender = sender;
    m.senderName = QStringLiteral("Someone");
    m.clientId = QStringLiteral("m%1").arg(id);
    m.text = QStringLiteral("news %1").arg(id);
    m.createdAt = QDateTime::currentDateTimeUtc();
    return m;
}

QList<qint64> order(const ThreadModel &model)
{
    QList<qint64> ids;
    for (int i = 0; i < model.rowCount(); ++i)
        ids << model.index(i).data(ThreadModel::ThreadIdRole).toLongLong();
    return ids;
}

} // namespace

class TestThreadModel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ThreadModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;

    ThreadModel &fresh()
    {
        m_tester.reset();
        m_model = std::make_unique<ThreadModel>();
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::Fatal);
        m_model->setThreads({makeThread(1, QStringLiteral("Ann"), 10, 1),
                             makeThread(2, QStringLiteral("Bob"), 30, 0),
                             makeThread(3, QStringLiteral("Cleo"), 20, 2),
                             makeThread(4, QStringLiteral("Dan")), makeThread(5, QStringLiteral("Eve"))});
        return *m_model;
    }

private Q_SLOTS:
    void mostRecentActivityFirst()
    {
        ThreadModel &model = fresh();
        // By last message id; threads without messages after, newest thread first.
        QCOMPARE(order(model), (QList<qint64>{2, 3, 1, 5, 4}));
        QCOMPARE(model.unreadTotal(), 3);
        QCOMPARE(model.index(0).data(ThreadModel::NameRole).toString(), u"Bob");
        QCOMPARE(model.index(0).data(Qt::DisplayRole).toString(), u"Bob");
        QCOMPARE(model.index(0).data(ThreadModel::RoleRole).toString(), u"customer");
        QCOMPARE(model.index(0).data(ThreadModel::LastMessageTextRole).toString(), u"hello 30");
        QCOMPARE(model.index(0).data(ThreadModel::LastMessageIdRole).toLongLong(), 30);
        QCOMPARE(model.index(4).data(ThreadModel::LastMessageTextRole).toString(), QString());
        QCOMPARE(model.rowForThread(1), 2);
        QCOMPARE(model.rowForThread(99), -1);
    }

    void newMessageMovesRowToTopAndCountsUnread()
    {
        ThreadModel &model = fresh();
        QSignalSpy moved(&model, &QAbstractItemModel::rowsMoved);
        QSignalSpy total(&model, &ThreadModel::unreadTotalChanged);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(model.applyMessage(message(31, 4, 104), true));
        QCOMPARE(order(model), (QList<qint64>{4, 2, 3, 1, 5}));
        QCOMPARE(moved.size(), 1);
        QCOMPARE(total.size(), 1);
        QCOMPARE(total.at(0).at(0).toInt(), 4);
        QCOMPARE(model.index(0).data(ThreadModel::UnreadRole).toInt(), 1);
        QCOMPARE(model.index(0).data(ThreadModel::LastMessageTextRole).toString(), u"news 31");
        QCOMPARE(changed.size(), 1);
        QVERIFY(changed.at(0).at(2).value<QList<int>>().contains(ThreadModel::UnreadRole));

        // The same message again (a push seen again through sync) changes nothing.
        QVERIFY(model.applyMessage(message(31, 4, 104), true));
        QCOMPARE(model.index(0).data(ThreadModel::UnreadRole).toInt(), 1);
        QCOMPARE(total.size(), 1);

        // An own message updates the preview but not the unread count.
        QVERIFY(model.applyMessage(message(32, 1, 1), false));
        QCOMPARE(order(model), (QList<qint64>{1, 4, 2, 3, 5}));
        QCOMPARE(model.index(0).data(ThreadModel::UnreadRole).toInt(), 1);
        QCOMPARE(model.unreadTotal(), 4);

        // Moving down is never needed for new messages, but an older one stays put.
        QVERIFY(model.applyMessage(message(5, 3, 103), true));
        QCOMPARE(order(model), (QList<qint64>{1, 4, 2, 3, 5}));
        QCOMPARE(model.unreadTotal(), 4);

        QVERIFY(!model.applyMessage(message(40, 99, 5), true)); // unknown thread
    }

    void unreadUpdates()
    {
        ThreadModel &model = fresh();
        QSignalSpy total(&model, &ThreadModel::unreadTotalChanged);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setUnread(3, 0);
        QCOMPARE(model.unreadTotal(), 1);
        QCOMPARE(total.size(), 1);
        QCOMPARE(changed.at(0).at(2).value<QList<int>>(), QList<int>{ThreadModel::UnreadRole});
        model.setUnread(3, 0); // no change, no signal
        QCOMPARE(total.size(), 1);
        QCOMPARE(changed.size(), 1);
    }

    void unreadTotalIsCapped()
    {
        // Absurd counts from a server: the badge stays at the largest int, never wraps.
        ThreadModel model;
        QList<Thread> threads;
        for (int i = 1; i <= 3; ++i)
            threads.append(makeThread(i, QStringLiteral("t%1").arg(i), i, (qint64(1) << 53) - 1));
        threads.append(makeThread(4, QStringLiteral("t4"), 4, -5));
        model.setThreads(threads);
        QCOMPARE(model.unreadTotal(), std::numeric_limits<int>::max());
    }

    void readCursorsMoveForward()
    {
        ThreadModel &model = fresh();
        const int row = model.rowForThread(1);
        model.applyRead(1, 101, 10); // the owner
        model.applyRead(1, 900, 8);  // an admin
        model.applyRead(1, 901, 6);  // another admin, behind: the team cursor stays
        QCOMPARE(model.index(row).data(ThreadModel::ReadUpToOwnerRole).toLongLong(), 10);
        QCOMPARE(model.index(row).data(ThreadModel::ReadUpToTeamRole).toLongLong(), 8);
        model.applyRead(1, 101, 3);
        QCOMPARE(model.index(row).data(ThreadModel::ReadUpToOwnerRole).toLongLong(), 10);
    }

    void presence()
    {
        ThreadModel &model = fresh();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const QDateTime seen = QDateTime::currentDateTimeUtc();
        model.setPresence(102, true, std::nullopt);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(2).value<QList<int>>(), QList<int>{ThreadModel::OnlineRole});
        QCOMPARE(model.index(model.rowForThread(2)).data(ThreadModel::OnlineRole).toBool(), true);
        model.setPresence(102, false, seen);
        QCOMPARE(model.index(model.rowForThread(2)).data(ThreadModel::LastSeenRole).toDateTime(),
                 seen);
        model.setPresence(555, true, std::nullopt); // an admin: not in the list
        QCOMPARE(changed.size(), 2);
    }

    void upsertInsertsOrUpdates()
    {
        ThreadModel &model = fresh();
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.upsertThread(makeThread(6, QStringLiteral("Finn"), 0, 0));
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(order(model), (QList<qint64>{2, 3, 1, 6, 5, 4}));

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        Thread renamed = makeThread(6, QStringLiteral("Finnegan"), 0, 0);
        model.upsertThread(renamed);
        QCOMPARE(model.rowCount(), 6);
        QCOMPARE(changed.size(), 1);
        const QList<int> roles = changed.at(0).at(2).value<QList<int>>();
        QVERIFY(roles.contains(ThreadModel::NameRole));
        QVERIFY(roles.contains(ThreadModel::SearchTextRole));
        QVERIFY(!roles.contains(ThreadModel::UnreadRole));

        // A refresh with a newer last message and unread moves and recounts.
        QSignalSpy total(&model, &ThreadModel::unreadTotalChanged);
        model.upsertThread(makeThread(6, QStringLiteral("Finnegan"), 50, 3));
        QCOMPARE(order(model).first(), 6);
        QCOMPARE(model.unreadTotal(), 6);
        QCOMPARE(total.size(), 1);
    }

    void filterByNameOrEmail()
    {
        ThreadModel &model = fresh();
        ThreadFilterModel filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(&filter,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        filter.setFilterText(QStringLiteral("cle"));
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.index(0, 0).data(ThreadModel::ThreadIdRole).toLongLong(), 3);
        filter.setFilterText(QStringLiteral("EXAMPLE.COM"));
        QCOMPARE(filter.rowCount(), 5);
        filter.setFilterText(QStringLiteral("dan@"));
        QCOMPARE(filter.rowCount(), 1);
        filter.setFilterText(QString());
        QCOMPARE(filter.rowCount(), 5);
        // The proxy follows moves in the source.
        model.applyMessage(message(99, 5, 105), true);
        QCOMPARE(filter.index(0, 0).data(ThreadModel::ThreadIdRole).toLongLong(), 5);
    }
};

QTEST_GUILESS_MAIN(TestThreadModel)
#include "tst_threadmodel.moc"
