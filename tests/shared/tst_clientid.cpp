// clientIds are UUIDs of version 7: the time first, and in order within one generator.

#include "protocol/clientid.h"

#include <QDateTime>
#include <QSet>
#include <QTest>

using namespace dpichat;

class TestClientId : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isVersion7WithTheTimeFirst();
    void growsWithinOneMillisecond();
    void growsWhenTheClockStepsBack();
    void growsPastAFullMillisecond();
    void processIdsAreFreshAndInOrder();
};

namespace {

qint64 msOf(const QUuid &id)
{
    const QByteArray bytes = id.toRfc4122();
    qint64 ms = 0;
    for (int i = 0; i < 6; ++i)
        ms = (ms << 8) | quint8(bytes[i]);
    return ms;
}

/// The version nibble (Qt 6.4's QUuid::version() knows versions up to 5 only).
int versionOf(const QUuid &id)
{
    return quint8(id.toRfc4122().at(6)) >> 4;
}

/// Each id is greater than the one before, as a UUID and as the text the client sends.
void verifyIncreasing(const QList<QUuid> &ids)
{
    for (qsizetype i = 1; i < ids.size(); ++i) {
        QVERIFY2(ids[i - 1] < ids[i], qPrintable(QString::number(i)));
        QVERIFY2(ids[i - 1].toString(QUuid::WithoutBraces) < ids[i].toString(QUuid::WithoutBraces),
                 qPrintable(QString::number(i)));
    }
}

} // namespace

void TestClientId::isVersion7WithTheTimeFirst()
{
    ClientIdGenerator generator;
    const qint64 ms = 1796342400123; // 2026-12-04T00:00:00.123Z
    const QUuid id = generator.next(ms);
    QCOMPARE(versionOf(id), 7);
    QCOMPARE(id.variant(), QUuid::DCE);
    QCOMPARE(msOf(id), ms);
    const QString text = id.toString(QUuid::WithoutBraces);
    QCOMPARE(text.size(), 36);
    QCOMPARE(text.left(13), QStringLiteral("01a23e59-c47b"));
    QCOMPARE(text.at(14), QLatin1Char('7'));
}

void TestClientId::growsWithinOneMillisecond()
{
    ClientIdGenerator generator;
    QList<QUuid> ids;
    for (int i = 0; i < 2000; ++i)
        ids.append(generator.next(1000));
    verifyIncreasing(ids);
    QCOMPARE(msOf(ids.first()), 1000);
    QCOMPARE(msOf(ids.last()), 1000); // at least 2,048 fit in one millisecond
}

void TestClientId::growsWhenTheClockStepsBack()
{
    ClientIdGenerator generator;
    const QList<QUuid> ids{generator.next(5000), generator.next(5001), generator.next(4000),
                           generator.next(4999), generator.next(5001), generator.next(5002)};
    verifyIncreasing(ids);
    QCOMPARE(msOf(ids[2]), 5001); // the clock's step back does not show
    QCOMPARE(msOf(ids[5]), 5002);
}

void TestClientId::growsPastAFullMillisecond()
{
    ClientIdGenerator generator;
    QList<QUuid> ids;
    for (int i = 0; i < 10000; ++i)
        ids.append(generator.next(7000));
    verifyIncreasing(ids);
    // 4,096 counter values a millisecond at most: 10,000 ids borrow later ones.
    QVERIFY(msOf(ids.last()) > 7000);
    QVERIFY(msOf(ids.last()) <= 7000 + 10000 / 2048);
    ids.append(generator.next(7001)); // the real clock, behind the borrowed time
    verifyIncreasing(ids);
}

void TestClientId::processIdsAreFreshAndInOrder()
{
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QStringList ids;
    for (int i = 0; i < 1000; ++i)
        ids.append(newClientId());
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    QCOMPARE(QSet<QString>(ids.cbegin(), ids.cend()).size(), ids.size());
    for (qsizetype i = 1; i < ids.size(); ++i)
        QVERIFY(ids[i - 1] < ids[i]);
    const QUuid first = QUuid::fromString(ids.first());
    QVERIFY(!first.isNull());
    QCOMPARE(versionOf(first), 7);
    QVERIFY(msOf(first) >= before);
    QVERIFY(msOf(QUuid::fromString(ids.last())) <= after + 1);
}

QTEST_GUILESS_MAIN(TestClientId)
#include "tst_clientid.moc"
