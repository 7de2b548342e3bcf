#include "models/messagemodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace dpichat;

namespace {

constexpr qint64 kThread = 7;
constexpr qint64 kMe = 1;
constexpr qint64 kOther = 2;

const QDateTime kDay1 = QDateTime(QDate(2026, 3, 10), QTime(12, 0), Qt::LocalTime);

Message msg(qint64 id, qint64 sender = kOther, const QString &clientId = QString(),
            const QDateTime &at = kDay1)
{
    Message m;
    m.id = id;
    m.thread = kThread;
    m.sender = sender;
    m.senderName = sender == kMe ? QStringLiteral("Me") : QStringLiteral("Ann");
    m.clientId = clientId.isEmpty() ? QStringLiteral("c-%1").arg(id) : clientId;
    m.text = QStringLiteral("text %1").arg(id);
    m.createdAt = at.addSecs(id).toUTC();
    return m;
}

QList<qint64> ids(const MessageModel &model)
{
    QList<qint64> result;
    for (int i = 0; i < model.rowCount(); ++i)
        result << model.index(i).data(MessageModel::IdRole).toLongLong();
    return result;
}

QList<int> changedRoles(const QSignalSpy &spy, int row)
{
    QList<int> roles;
    for (const QList<QVariant> &args : spy) {
        const auto first = args.at(0).toModelIndex();
        const auto last = args.at(1).toModelIndex();
        if (first.row() <= row && row <= last.row())
            roles << args.at(2).value<QList<int>>();
    }
    std::sort(roles.begin(), roles.end());
    return roles;
}

} // namespace

class TestMessageModel : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<MessageModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;

    MessageModel &fresh(bool admin = false)
    {
        m_tester.reset();
        m_model = std::make_unique<MessageModel>(kThread);
        m_model->setLocalUserId(kMe);
        m_model->setLocalIsAdmin(admin);
        m_tester = std::make_unique<QAbstractItemModelTester>(
            m_model.get(), QAbstractItemModelTester::FailureReportingMode::Fatal);
        return *m_model;
    }

private Q_SLOTS:
    void storedMessagesAreOrderedById()
    {
        MessageModel &model = fresh();
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QVERIFY(model.applyStored(msg(5)));
        QVERIFY(model.applyStored(msg(2)));
        QVERIFY(model.applyStored(msg(9)));
        QVERIFY(model.applyStored(msg(3)));
        QCOMPARE(ids(model), (QList<qint64>{2, 3, 5, 9}));
        QCOMPARE(inserted.size(), 4);
        QCOMPARE(inserted.at(3).at(1).toInt(), 1); // 3 went in between 2 and 5
        QCOMPARE(model.highestId(), 9);
        QCOMPARE(model.lowestId(), 2);
        QCOMPARE(model.rowForId(5), 2);
        QCOMPARE(model.rowForId(4), -1);
    }

    void otherThreadsAreIgnored()
    {
        MessageModel &model = fresh();
        Message m = msg(4);
        m.thread = kThread + 1;
        QVERIFY(!model.applyStored(m));
        model.prependHistory({m});
        QCOMPARE(model.rowCount(), 0);
    }

    void pendingStaysAfterStored()
    {
        MessageModel &model = fresh();
        model.applyStored(msg(1));
        QVERIFY(model.addPending(QStringLiteral("p1"), QStringLiteral("hi"), QStringLiteral("Me")));
        QVERIFY(model.addPending(QStringLiteral("p2"), QStringLiteral("yo"), QStringLiteral("Me")));
        model.applyStored(msg(2)); // someone else's message arrives meanwhile
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(ids(model), (QList<qint64>{1, 2, 0, 0}));
        QCOMPARE(model.index(2).data(MessageModel::ClientIdRole).toString(), u"p1");
        QCOMPARE(model.index(3).data(MessageModel::ClientIdRole).toString(), u"p2");
        QCOMPARE(model.index(2).data(MessageModel::StateRole).toInt(), int(MessageModel::Pending));
        QCOMPARE(model.index(2).data(MessageModel::IsOwnRole).toBool(), true);
        QCOMPARE(model.index(1).data(MessageModel::IsOwnRole).toBool(), false);
        QCOMPARE(model.pendingCount(), 2);
        QVERIFY(!model.addPending(QStringLiteral("p1"), QStringLiteral("again"), QStringLiteral("Me")));
    }

    void sentReplacesPendingInPlace()
    {
        MessageModel &model = fresh();
        model.applyStored(msg(1));
        model.addPending(QStringLiteral("p1"), QStringLiteral("hello"), QStringLiteral("Me"));
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        Message stored = msg(10, kMe, QStringLiteral("p1"));
        stored.text = QStringLiteral("hello");
        stored.senderName = QStringLiteral("Me");
        QVERIFY(model.applyStored(stored));
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(removed.size(), 0);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(1).data(MessageModel::IdRole).toLongLong(), 10);
        QCOMPARE(model.index(1).data(MessageModel::StateRole).toInt(), int(MessageModel::Sent));
        const QList<int> roles = changedRoles(changed, 1);
        QVERIFY(roles.contains(MessageModel::IdRole));
        QVERIFY(roles.contains(MessageModel::StateRole));
        QVERIFY(!roles.contains(MessageModel::TextRole)); // unchanged, so not reported
        QCOMPARE(model.pendingCount(), 0);
    }

    void sentMovesPendingToItsPlaceById()
    {
        MessageModel &model = fresh();
        model.addPending(QStringLiteral("p1"), QStringLiteral("first"), QStringLiteral("Me"));
        model.addPending(QStringLiteral("p2"), QStringLiteral("second"), QStringLiteral("Me"));
        QSignalSpy moved(&model, &QAbstractItemModel::rowsMoved);
        // p2's reply comes first; p1 stays pending after it.
        model.applyStored(msg(20, kMe, QStringLiteral("p2")));
        QCOMPARE(moved.size(), 1);
        QCOMPARE(model.index(0).data(MessageModel::ClientIdRole).toString(), u"p2");
        QCOMPARE(model.index(1).data(MessageModel::ClientIdRole).toString(), u"p1");
        model.applyStored(msg(21, kMe, QStringLiteral("p1")));
        QCOMPARE(ids(model), (QList<qint64>{20, 21}));
    }

    void neverDuplicated_data()
    {
        QTest::addColumn<QStringList>("events");
        // pending: the user sends; sent/push/sync: applyStored (same message, any source);
        // history: prependHistory with it; batch: applyStored of a list holding it twice;
        // failed/retry: markFailed/markPending.
        QTest::newRow("pending, sent") << QStringList{QStringLiteral("pending"), QStringLiteral("sent")};
        QTest::newRow("pending, push before sent")
            << QStringList{QStringLiteral("pending"), QStringLiteral("push"), QStringLiteral("sent")};
        QTest::newRow("pending, sent, sync, push")
            << QStringList{QStringLiteral("pending"), QStringLiteral("sent"), QStringLiteral("sync"), QStringLiteral("push")};
        QTest::newRow("pending, sync before sent")
            << QStringList{QStringLiteral("pending"), QStringLiteral("sync"), QStringLiteral("sent")};
        QTest::newRow("pending, history holds it")
            << QStringList{QStringLiteral("pending"), QStringLiteral("history"), QStringLiteral("sent")};
        QTest::newRow("stored before restored pending")
            << QStringList{QStringLiteral("sent"), QStringLiteral("pending")};
        QTest::newRow("history before restored pending")
            << QStringList{QStringLiteral("history"), QStringLiteral("pending"), QStringLiteral("push")};
        QTest::newRow("failed, retry, sent")
            << QStringList{QStringLiteral("pending"), QStringLiteral("failed"), QStringLiteral("retry"), QStringLiteral("sent"), QStringLiteral("sync")};
        QTest::newRow("failed then stored anyway")
            << QStringList{QStringLiteral("pending"), QStringLiteral("failed"), QStringLiteral("sync")};
        QTest::newRow("batch with duplicates")
            << QStringList{QStringLiteral("pending"), QStringLiteral("batch"), QStringLiteral("history"), QStringLiteral("sent")};
        QTest::newRow("stored only, many sources")
            << QStringList{QStringLiteral("push"), QStringLiteral("sync"), QStringLiteral("history"), QStringLiteral("batch")};
    }

    void neverDuplicated()
    {
        QFETCH(QStringList, events);
        MessageModel &model = fresh();
        model.applyStored(msg(3));
        model.applyStored(msg(8));
        const QString cid = QStringLiteral("0b9a-own");
        const Message mine = msg(5, kMe, cid);
        for (const QString &e : std::as_const(events)) {
            if (e == u"pending")
                model.addPending(cid, mine.text, mine.senderName);
            else if (e == u"history")
                model.prependHistory({msg(1), msg(2), mine, msg(3)});
            else if (e == u"batch")
                model.applyStored(QList<Message>{mine, msg(8), mine});
            else if (e == u"failed")
                model.markFailed(cid, QStringLiteral("too long"));
            else if (e == u"retry")
                model.markPending(cid);
            else
                model.applyStored(mine);
        }
        int withClientId = 0;
        for (int i = 0; i < model.rowCount(); ++i) {
            if (model.index(i).data(MessageModel::ClientIdRole).toString() == cid)
                ++withClientId;
        }
        QCOMPARE(withClientId, 1);
        const int row = model.rowForId(5);
        QVERIFY(row >= 0);
        QCOMPARE(model.index(row).data(MessageModel::StateRole).toInt(), int(MessageModel::Sent));
        QCOMPARE(model.index(row).data(MessageModel::ErrorRole).toString(), QString());
        QCOMPARE(model.pendingCount(), 0);
        // Stored ids strictly increasing: no duplicates, right order.
        const QList<qint64> all = ids(model);
        for (int i = 1; i < all.size(); ++i)
            QVERIFY2(all.at(i - 1) < all.at(i), "ids not strictly increasing");
    }

    void failedRetryDiscard()
    {
        MessageModel &model = fresh();
        model.addPending(QStringLiteral("p1"), QStringLiteral("x"), QStringLiteral("Me"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.markFailed(QStringLiteral("p1"), QStringLiteral("The message is too long."));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(2).value<QList<int>>(),
                 (QList<int>{MessageModel::StateRole, MessageModel::ErrorRole}));
        QCOMPARE(model.index(0).data(MessageModel::StateRole).toInt(), int(MessageModel::Failed));
        QCOMPARE(model.index(0).data(MessageModel::ErrorRole).toString(),
                 u"The message is too long.");

        model.markPending(QStringLiteral("p1"));
        QCOMPARE(model.index(0).data(MessageModel::StateRole).toInt(), int(MessageModel::Pending));
        QVERIFY(model.index(0).data(MessageModel::ErrorRole).toString().isEmpty());

        model.markFailed(QStringLiteral("p1"), QStringLiteral("no"));
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.removePending(QStringLiteral("p1"));
        QCOMPARE(removed.size(), 1);
        QCOMPARE(model.rowCount(), 0);
        // Unknown clientIds are harmless.
        model.markFailed(QStringLiteral("nope"), QString());
        model.removePending(QStringLiteral("nope"));
    }

    void historyPrependsInOneInsertion()
    {
        MessageModel &model = fresh();
        QList<Message> newest;
        for (qint64 id = 51; id <= 100; ++id)
            newest << msg(id);
        model.prependHistory(newest);
        QCOMPARE(model.rowCount(), 50);
        model.addPending(QStringLiteral("p"), QStringLiteral("x"), QStringLiteral("Me"));

        QList<Message> older;
        for (qint64 id = 1; id <= 50; ++id)
            older << msg(id);
        std::reverse(older.begin(), older.end()); // order of the page must not matter
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.prependHistory(older);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), 0);
        QCOMPARE(inserted.at(0).at(2).toInt(), 49);
        QCOMPARE(model.rowCount(), 101);
        QCOMPARE(model.lowestId(), 1);
        QCOMPARE(model.highestId(), 100);
        QCOMPARE(model.index(100).data(MessageModel::ClientIdRole).toString(), u"p");

        // An overlapping page adds nothing twice.
        QList<Message> overlap;
        for (qint64 id = 40; id <= 60; ++id)
            overlap << msg(id);
        model.prependHistory(overlap);
        QCOMPARE(model.rowCount(), 101);
    }

    void seenFollowsOtherSidesCursor_data()
    {
        QTest::addColumn<bool>("admin");
        QTest::newRow("customer: team cursor") << false;
        QTest::newRow("admin: owner cursor") << true;
    }

    void seenFollowsOtherSidesCursor()
    {
        QFETCH(bool, admin);
        MessageModel &model = fresh(admin);
        model.applyStored(msg(1, kMe));
        model.applyStored(msg(2, kOther));
        model.applyStored(msg(3, kMe));
        model.applyStored(msg(4, kMe));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        // The own side's cursor never makes anything "seen".
        model.advanceReadCursor(admin ? false : true, 4);
        QCOMPARE(changed.size(), 0);
        model.advanceReadCursor(admin ? true : false, 3);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 0);
        QCOMPARE(changed.at(0).at(1).toModelIndex().row(), 2);
        QCOMPARE(changed.at(0).at(2).value<QList<int>>(), QList<int>{MessageModel::SeenRole});
        QCOMPARE(model.index(0).data(MessageModel::SeenRole).toBool(), true);
        QCOMPARE(model.index(1).data(MessageModel::SeenRole).toBool(), false); // not own
        QCOMPARE(model.index(2).data(MessageModel::SeenRole).toBool(), true);
        QCOMPARE(model.index(3).data(MessageModel::SeenRole).toBool(), false);
        // Cursors only move forward through advanceReadCursor.
        model.advanceReadCursor(admin ? true : false, 1);
        QCOMPARE(model.index(2).data(MessageModel::SeenRole).toBool(), true);
    }

    void daySeparatorsAndSenderRuns()
    {
        MessageModel &model = fresh();
        const QDateTime day2 = kDay1.addDays(1);
        model.applyStored(msg(1, kOther, {}, kDay1));
        model.applyStored(msg(2, kOther, {}, kDay1));
        model.applyStored(msg(4, kOther, {}, day2));
        model.applyStored(msg(5, kMe, {}, day2));
        auto flags = [&](int row) {
            return std::pair(model.index(row).data(MessageModel::ShowDaySeparatorRole).toBool(),
                             model.index(row).data(MessageModel::ShowSenderRole).toBool());
        };
        QCOMPARE(flags(0), std::pair(true, true));
        QCOMPARE(flags(1), std::pair(false, false));
        QCOMPARE(flags(2), std::pair(true, true)); // a new day starts a new run
        QCOMPARE(flags(3), std::pair(false, true));

        // A message inserted between 2 and 4, on day 2, takes the separator from 4.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.applyStored(msg(3, kOther, {}, day2));
        QCOMPARE(flags(2), std::pair(true, true));
        QCOMPARE(flags(3), std::pair(false, false));
        QCOMPARE(changedRoles(changed, 3),
                 (QList<int>{MessageModel::ShowDaySeparatorRole, MessageModel::ShowSenderRole}));
    }

    void roleNamesCoverEveryRole()
    {
        MessageModel &model = fresh();
        const auto names = model.roleNames();
        for (int role = MessageModel::IdRole; role <= MessageModel::ShowSenderRole; ++role)
            QVERIFY2(names.contains(role), qPrintable(QString::number(role)));
    }
};

QTEST_GUILESS_MAIN(TestMessageModel)
#include "tst_messagemodel.moc"
