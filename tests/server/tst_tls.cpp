// TLS: the server serves wss:// with a certificate made here by the openssl command line; a
// client that trusts the issuing CA connects and logs in, one that does not is refused with
// certificate errors, and unusable certificate or key files stop the server with one line.

#include "fixture.h"
#include "testcerts.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>

using namespace Qt::StringLiterals;

class TstTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void trustedClientLogsIn();
    void untrustedClientIsRefused();
    void plainClientGetsNoSession();
    void unusableFilesStopTheServer_data();
    void unusableFilesStopTheServer();

private:
    QString file(const char *name) const { return m_certs.path(name); }
    QSslConfiguration trusting(const char *caFile) const;

    TestCerts m_certs;
    ProtocolFixture m_fx;
};

QSslConfiguration TstTls::trusting(const char *caFile) const
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.addCaCertificates(file(caFile), QSsl::Pem);
    return config;
}

void TstTls::initTestCase()
{
    // Not a skip: without openssl this suite cannot make its certificates, and that is a failure.
    QVERIFY(QSslSocket::supportsSsl());
    QVERIFY2(m_certs.make(), qPrintable(m_certs.error()));
    QVERIFY(m_fx.start({u"--rate-limit"_s, u"0"_s, u"--tls-cert"_s, file("server.pem"),
                        u"--tls-key"_s, file("server.key")}));
    QCOMPARE(m_fx.server->url().scheme(), u"wss"_s);
}

void TstTls::trustedClientLogsIn()
{
    TestClient c(m_fx.server->url());
    c.socket().setSslConfiguration(trusting("ca.pem"));
    QSignalSpy sslErrors(&c.socket(), &QWebSocket::sslErrors);
    QVERIFY(c.open());
    QCOMPARE(sslErrors.count(), 0);
    const QJsonObject welcome = c.login(u"carol@customer.test"_s, QString::fromLatin1(ProtocolFixture::kPassword));
    QCOMPARE(typeOf(welcome), u"welcome"_s);
    QCOMPARE(welcome.value("user"_L1).toObject().value("email"_L1).toString(), u"carol@customer.test"_s);
    // And the session works past the login: a message is stored and acknowledged.
    const qint64 thread = c.request(obj({{u"type"_s, u"threads"_s}}))
                              .value("threads"_L1).toArray().first().toObject()
                              .value("id"_L1).toInteger();
    const QJsonObject sent = c.request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread},
                                            {u"clientId"_s, u"tls-1"_s}, {u"text"_s, u"over TLS"_s}}));
    QCOMPARE(typeOf(sent), u"sent"_s);
    const QSslCertificate peer = c.socket().sslConfiguration().peerCertificate();
    QCOMPARE(peer.subjectInfo(QSslCertificate::CommonName).value(0), u"127.0.0.1"_s);
}

void TstTls::untrustedClientIsRefused()
{
    for (const char *ca : {"", "other-ca.pem"}) {
        // The system CAs only, or the wrong CA: both must refuse, never connect silently.
        TestClient c(m_fx.server->url());
        if (*ca)
            c.socket().setSslConfiguration(trusting(ca));
        QSignalSpy sslErrors(&c.socket(), &QWebSocket::sslErrors);
        QVERIFY(!c.open(3000));
        QVERIFY2(!sslErrors.isEmpty(), ca);
        const auto errors = sslErrors.first().first().value<QList<QSslError>>();
        QVERIFY(!errors.isEmpty());
        bool untrusted = false;
        for (const QSslError &e : errors) {
            untrusted |= e.error() == QSslError::UnableToGetLocalIssuerCertificate
                || e.error() == QSslError::UnableToVerifyFirstCertificate
                || e.error() == QSslError::CertificateUntrusted
                || e.error() == QSslError::SelfSignedCertificateInChain;
        }
        QVERIFY2(untrusted, qPrintable(errors.first().errorString()));
    }
}

void TstTls::plainClientGetsNoSession()
{
    QUrl plain = m_fx.server->url();
    plain.setScheme(u"ws"_s);
    TestClient c(plain);
    QVERIFY(!c.open(3000));
    // The server is still serving TLS clients after the bad handshake.
    TestClient ok(m_fx.server->url());
    ok.socket().setSslConfiguration(trusting("ca.pem"));
    QVERIFY(ok.open());
}

void TstTls::unusableFilesStopTheServer_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing certificate") << u"no-such.pem"_s << u"server.key"_s << u"cannot read the TLS certificate"_s;
    QTest::newRow("not a certificate") << u"garbage.pem"_s << u"server.key"_s << u"holds no PEM certificate"_s;
    QTest::newRow("missing key") << u"server.pem"_s << u"no-such.key"_s << u"cannot read the TLS key"_s;
    QTest::newRow("not a key") << u"server.pem"_s << u"garbage.pem"_s << u"holds no unencrypted PEM private key"_s;
    QTest::newRow("key of another certificate") << u"server.pem"_s << u"stray.key"_s << u"does not match"_s;
}

void TstTls::unusableFilesStopTheServer()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, expected);
    QString out, err;
    const int code = m_fx.server->runCommand({u"--port"_s, u"0"_s, u"--tls-cert"_s,
                                              file(cert.toLatin1().constData()),
                                              u"--tls-key"_s, file(key.toLatin1().constData())},
                                             {}, &out, &err);
    QCOMPARE(code, 1);
    // One line says what is wrong, whatever the log around it.
    const QStringList lines = err.split(u'\n').filter(QRegularExpression(u"^dpichat-server: "_s));
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.first().contains(expected), qPrintable(err));
    QVERIFY(!out.contains(u"listening"_s));
}

QTEST_GUILESS_MAIN(TstTls)
#include "tst_tls.moc"
