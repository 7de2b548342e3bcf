// The composer as a user types into it: Enter sends, Shift+Enter breaks the line, the count
// appears near the limit and sending is impossible over it, typing is reported sparingly.

#include "composer.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using dpichat::ui::Composer;

class TestComposerWidget : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void enterSendsTrimmedText();
    void shiftEnterStartsNewLine();
    void emptyTextIsNotSent();
    void limit_data();
    void limit();
    void typingIsReportedAtMostEvery2s();
};

void TestComposerWidget::enterSendsTrimmedText()
{
    Composer composer;
    composer.show();
    QSignalSpy sent(&composer, &Composer::sendRequested);
    QTest::keyClicks(composer.editor(), QStringLiteral("  Hello there  "));
    QTest::keyClick(composer.editor(), Qt::Key_Return);
    QCOMPARE(sent.size(), 1);
    QCOMPARE(sent.at(0).at(0).toString(), QStringLiteral("Hello there"));
    QVERIFY(composer.text().isEmpty());
}

void TestComposerWidget::shiftEnterStartsNewLine()
{
    Composer composer;
    composer.show();
    QSignalSpy sent(&composer, &Composer::sendRequested);
    QTest::keyClicks(composer.editor(), QStringLiteral("first"));
    QTest::keyClick(composer.editor(), Qt::Key_Return, Qt::ShiftModifier);
    QTest::keyClicks(composer.editor(), QStringLiteral("second"));
    QCOMPARE(sent.size(), 0);
    QCOMPARE(composer.text(), QStringLiteral("first\nsecond"));
    QTest::keyClick(composer.editor(), Qt::Key_Enter); // the keypad's Enter sends too
    QCOMPARE(sent.size(), 1);
    QCOMPARE(sent.at(0).at(0).toString(), QStringLiteral("first\nsecond"));
}

void TestComposerWidget::emptyTextIsNotSent()
{
    Composer composer;
    composer.show();
    QSignalSpy sent(&composer, &Composer::sendRequested);
    QVERIFY(!composer.sendButton()->isEnabled());
    QTest::keyClicks(composer.editor(), QStringLiteral("   "));
    QTest::keyClick(composer.editor(), Qt::Key_Return);
    QCOMPARE(sent.size(), 0);
    QVERIFY(!composer.sendButton()->isEnabled());
}

void TestComposerWidget::limit_data()
{
    QTest::addColumn<int>("length");
    QTest::addColumn<bool>("counterShown");
    QTest::addColumn<bool>("canSend");
    const int max = 100;
    QTest::newRow("short") << 10 << false << true;
    QTest::newRow("at the limit") << max << true << true;
    QTest::newRow("one over") << max + 1 << true << false;
}

void TestComposerWidget::limit()
{
    QFETCH(int, length);
    QFETCH(bool, counterShown);
    QFETCH(bool, canSend);
    Composer composer;
    // With 100 allowed, the counter (shown when 500 or fewer are left) is always near; use
    // a bigger limit for the "short" row so the counter stays hidden.
    composer.setMaxChars(length == 10 ? 4000 : 100);
    composer.show();
    QSignalSpy sent(&composer, &Composer::sendRequested);
    composer.editor()->setPlainText(QString(length, QLatin1Char('x')));
    QCOMPARE(composer.counterLabel()->isVisible(), counterShown);
    QCOMPARE(composer.sendButton()->isEnabled(), canSend);
    if (counterShown)
        QVERIFY(composer.counterLabel()->text().contains(QString::number(length)));
    QTest::keyClick(composer.editor(), Qt::Key_Return);
    QCOMPARE(sent.size(), canSend ? 1 : 0);
    // Over the limit the text stays, so nothing typed is lost.
    QCOMPARE(composer.text().isEmpty(), canSend);
}

void TestComposerWidget::typingIsReportedAtMostEvery2s()
{
    Composer composer;
    composer.show();
    QSignalSpy typing(&composer, &Composer::typingChanged);
    for (int i = 0; i < 10; ++i)
        QTest::keyClick(composer.editor(), Qt::Key_A);
    QCOMPARE(typing.size(), 1);
    QCOMPARE(typing.at(0).at(0).toBool(), true);
    // Sending ends typing at once.
    QTest::keyClick(composer.editor(), Qt::Key_Return);
    QCOMPARE(typing.size(), 2);
    QCOMPARE(typing.at(1).at(0).toBool(), false);
}

QTEST_MAIN(TestComposerWidget)
#include "tst_composerwidget.moc"
