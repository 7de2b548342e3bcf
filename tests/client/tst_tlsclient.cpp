// The client's Connection over wss://: it logs in when the server's certificate verifies
// against the CA file it was given, and otherwise fails the login with a sentence that names
// the certificate problem (never a silent accept, never a vague "cannot reach").

#include "connection.h"
#include "serverprocess.h"
#include "testcerts.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace dpichat;

class TstTlsClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void trustedCaLogsIn();
    void untrustedCertificateFailsClearly_data();
    void untrustedCertificateFailsClearly();

private:
    TestCerts m_certs;
    QTemporaryDir m_dir;
    std::unique_ptr<ServerProcess> m_server;
};

void TstTlsClient::initTestCase()
{
    QVERIFY2(m_certs.make(), qPrintable(m_certs.error()));
    m_server = std::make_unique<ServerProcess>(m_dir.filePath(u"chat.db"_s));
    QVERIFY(m_server->addUser(u"carol@customer.test"_s, u"Carol"_s, u"customer"_s, u"correct horse"_s));
    QVERIFY(m_server->start({u"--tls-cert"_s, m_certs.path("server.pem"), u"--tls-key"_s,
                             m_certs.path("server.key")}));
    QCOMPARE(m_server->url().scheme(), u"wss"_s);
}

void TstTlsClient::trustedCaLogsIn()
{
    Connection c;
    c.setCaFile(m_certs.path("ca.pem"));
    QSignalSpy loggedIn(&c, &Connection::loggedIn);
    QSignalSpy failed(&c, &Connection::loginFailed);
    c.loginWithPassword(m_server->url(), u"carol@customer.test"_s, u"correct horse"_s);
    QTRY_COMPARE_WITH_TIMEOUT(loggedIn.count(), 1, 10'000);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(c.user().email, u"carol@customer.test"_s);
}

void TstTlsClient::untrustedCertificateFailsClearly_data()
{
    QTest::addColumn<QString>("caFile");
    QTest::addColumn<QString>("note");
    QTest::newRow("system CAs only") << QString() << QString();
    QTest::newRow("another CA") << m_certs.path("other-ca.pem") << QString();
    QTest::newRow("unreadable CA file") << m_certs.path("no-such-ca.pem") << u"could not be read"_s;
}

void TstTlsClient::untrustedCertificateFailsClearly()
{
    QFETCH(QString, caFile);
    QFETCH(QString, note);
    Connection c;
    c.setCaFile(caFile);
    QSignalSpy loggedIn(&c, &Connection::loggedIn);
    QSignalSpy failed(&c, &Connection::loginFailed);
    c.loginWithPassword(m_server->url(), u"carol@customer.test"_s, u"correct horse"_s);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10'000);
    QCOMPARE(loggedIn.count(), 0);
    const QString reason = failed.first().at(1).toString();
    QVERIFY2(reason.contains(u"certificate is not trusted"_s), qPrintable(reason));
    QVERIFY2(reason.contains(note), qPrintable(reason));
    QCOMPARE(failed.first().at(0).value<Connection::LoginError>(), Connection::LoginError::Other);
    QCOMPARE(c.state(), Connection::State::Offline);
}

QTEST_GUILESS_MAIN(TstTlsClient)
#include "tst_tlsclient.moc"
