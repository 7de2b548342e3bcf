// TokenStore against whatever keychain the machine has. CTest runs it twice: as is (in a
// test environment usually without any keychain service: the failure must be reported,
// quickly, as a sentence) and, where gnome-keyring is installed, inside a private D-Bus
// session with a freshly unlocked keyring (DPICHAT_EXPECT_KEYCHAIN=1: the real path).

#include "tokenstore.h"

#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace dpichat;

class TestTokenStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    const QUrl m_server{QStringLiteral("ws://127.0.0.1:8787/")};
    static bool expectKeychain() { return qEnvironmentVariableIntValue("DPICHAT_EXPECT_KEYCHAIN") == 1; }

private Q_SLOTS:
    void lastAccountIsRemembered()
    {
        QSettings settings(m_dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        {
            TokenStore store(QStringLiteral("dpichat-test"), &settings);
            QVERIFY(store.lastEmail().isEmpty());
            store.setLastAccount(m_server, QStringLiteral("ann@example.com"));
        }
        TokenStore again(QStringLiteral("dpichat-test"), &settings);
        QCOMPARE(again.lastServer(), m_server);
        QCOMPARE(again.lastEmail(), u"ann@example.com");
        again.clearLastAccount();
        QVERIFY(again.lastEmail().isEmpty());
    }

    void saveLoadRemove()
    {
        QSettings settings(m_dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
        // A unique service per run: nothing left from an earlier run can be read back.
        TokenStore store(QStringLiteral("dpichat-test-") + QUuid::createUuid().toString(), &settings);
        const QString email = QStringLiteral("ann@example.com");
        const QString token = QStringLiteral("tok-") + QUuid::createUuid().toString();
        QSignalSpy saved(&store, &TokenStore::saved);
        QSignalSpy saveFailed(&store, &TokenStore::saveFailed);
        store.save(m_server, email, token);
        QTRY_VERIFY_WITH_TIMEOUT(saved.size() + saveFailed.size() == 1, 30'000);

        if (!expectKeychain()) {
            if (saved.size() == 1)
                QSKIP("a keychain service is running here; the failure path needs none");
            // No keychain: said in a sentence for the login dialog, and nothing stored.
            const QString reason = saveFailed.at(0).at(0).toString();
            QVERIFY2(!reason.isEmpty(), "no reason given");
            qInfo() << "reported:" << reason;
            QSignalSpy loaded(&store, &TokenStore::loaded);
            QSignalSpy loadFailed(&store, &TokenStore::loadFailed);
            store.load(m_server, email);
            QTRY_VERIFY_WITH_TIMEOUT(loaded.size() + loadFailed.size() == 1, 30'000);
            QCOMPARE(loaded.size(), 0);
            return;
        }

        QCOMPARE(saveFailed.size(), 0);
        QSignalSpy loaded(&store, &TokenStore::loaded);
        QSignalSpy loadFailed(&store, &TokenStore::loadFailed);
        store.load(m_server, email);
        QTRY_VERIFY_WITH_TIMEOUT(loaded.size() + loadFailed.size() == 1, 30'000);
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(loaded.at(0).at(0).toString(), token);

        // Another account on the same server has nothing stored.
        store.load(m_server, QStringLiteral("bob@example.com"));
        QTRY_COMPARE_WITH_TIMEOUT(loadFailed.size(), 1, 30'000);
        QCOMPARE(loadFailed.at(0).at(1).toBool(), true); // notFound: not an error to show

        QSignalSpy removed(&store, &TokenStore::removed);
        store.remove(m_server, email);
        QTRY_COMPARE_WITH_TIMEOUT(removed.size(), 1, 30'000);
        store.load(m_server, email);
        QTRY_COMPARE_WITH_TIMEOUT(loadFailed.size(), 2, 30'000);
        QCOMPARE(loadFailed.at(1).at(1).toBool(), true);
        QCOMPARE(loaded.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestTokenStore)
#include "tst_tokenstore.moc"
