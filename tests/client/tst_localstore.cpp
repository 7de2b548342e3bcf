// Outbox and Drafts on their SQLite file: order, states, accounts, and surviving a restart.

#include "drafts.h"
#include "outbox.h"

#include <QTemporaryDir>
#include <QTest>

using namespace dpichat;

namespace {

OutboxEntry entry(const QString &clientId, qint64 thread, const QString &text)
{
    OutboxEntry e;
    e.clientId = clientId;
    e.thread = thread;
    e.text = text;
    e.createdAt = QDateTime::currentDateTimeUtc();
    return e;
}

QStringList clientIds(const QList<OutboxEntry> &entries)
{
    QStringList ids;
    for (const OutboxEntry &e : entries)
        ids << e.clientId;
    return ids;
}

} // namespace

class TestLocalStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void outboxKeepsOrderStatesAndAccounts()
    {
        const QString path = m_dir.filePath(QStringLiteral("a.sqlite"));
        const QString account = Outbox::accountKey(QUrl(QStringLiteral("ws://h:1/")), 5);
        {
            Outbox outbox(path);
            QVERIFY(outbox.isOpen());
            outbox.setAccount(account);
            QVERIFY(outbox.add(entry(QStringLiteral("c"), 1, QStringLiteral("third? no, first"))));
            QVERIFY(outbox.add(entry(QStringLiteral("a"), 2, QStringLiteral("second"))));
            QVERIFY(outbox.add(entry(QStringLiteral("b"), 1, QStringLiteral("  spaces kept  "))));
            QVERIFY(outbox.add(entry(QStringLiteral("a"), 2, QStringLiteral("again")))); // no-op
            QVERIFY(outbox.markFailed(QStringLiteral("a"), QStringLiteral("The message is too long.")));
            QVERIFY(!outbox.markFailed(QStringLiteral("zzz"), QString()));
        } // the app quits

        Outbox outbox(path);
        outbox.setAccount(account);
        QCOMPARE(clientIds(outbox.entries()), (QStringList{QStringLiteral("c"), QStringLiteral("a"), QStringLiteral("b")}));
        QCOMPARE(clientIds(outbox.pendingEntries()), (QStringList{QStringLiteral("c"), QStringLiteral("b")}));
        const auto a = outbox.entry(QStringLiteral("a"));
        QVERIFY(a);
        QVERIFY(a->failed);
        QCOMPARE(a->error, u"The message is too long.");
        QCOMPARE(a->text, u"second");
        QCOMPARE(a->thread, 2);
        QVERIFY(a->createdAt.isValid());
        QCOMPARE(outbox.entry(QStringLiteral("b"))->text, u"  spaces kept  ");

        QVERIFY(outbox.markPending(QStringLiteral("a")));
        QCOMPARE(outbox.pendingEntries().size(), 3);
        QVERIFY(outbox.remove(QStringLiteral("c")));
        QVERIFY(!outbox.remove(QStringLiteral("c")));
        QCOMPARE(outbox.count(), 2);

        // Another login on the same computer never sees (or sends) these.
        outbox.setAccount(Outbox::accountKey(QUrl(QStringLiteral("ws://h:1/")), 6));
        QCOMPARE(outbox.count(), 0);
        QVERIFY(!outbox.remove(QStringLiteral("a")));
    }

    void draftsPerThreadAcrossRestarts()
    {
        const QString path = m_dir.filePath(QStringLiteral("d.sqlite"));
        {
            Drafts drafts(path);
            QVERIFY(drafts.isOpen());
            drafts.setAccount(QStringLiteral("acc"));
            drafts.setDraft(1, QStringLiteral("half a thought"));
            drafts.setDraft(2, QStringLiteral("other"));
            drafts.setDraft(2, QStringLiteral("other, edited"));
            drafts.setDraft(3, QStringLiteral("gone"));
            drafts.setDraft(3, QStringLiteral("   "));
        }
        Drafts drafts(path);
        drafts.setAccount(QStringLiteral("acc"));
        QCOMPARE(drafts.draft(1), u"half a thought");
        QCOMPARE(drafts.draft(2), u"other, edited");
        QCOMPARE(drafts.draft(3), QString());
        drafts.setAccount(QStringLiteral("someone else"));
        QCOMPARE(drafts.draft(1), QString());
    }

    void outboxAndDraftsShareAFile()
    {
        const QString path = m_dir.filePath(QStringLiteral("shared.sqlite"));
        Outbox outbox(path);
        Drafts drafts(path);
        outbox.setAccount(QStringLiteral("x"));
        drafts.setAccount(QStringLiteral("x"));
        QVERIFY(outbox.add(entry(QStringLiteral("k"), 1, QStringLiteral("t"))));
        drafts.setDraft(1, QStringLiteral("d"));
        QCOMPARE(outbox.count(), 1);
        QCOMPARE(drafts.draft(1), u"d");
    }
};

QTEST_GUILESS_MAIN(TestLocalStore)
#include "tst_localstore.moc"
