#include "tls.h"

#include <QEventLoop>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTimer>

namespace dpichat::server {

namespace {

ProtocolError tlsError(const QString &text)
{
    return ProtocolError{ErrorCode::Internal, text};
}

/// Qt cannot compare a private key with a certificate's public key, so let OpenSSL do it: one
/// TLS handshake with ourselves over loopback succeeds only when the two belong together.
bool handshakeWithSelf(const QSslConfiguration &server)
{
    QSslServer listener;
    listener.setSslConfiguration(server);
    if (!listener.listen(QHostAddress::LocalHost, 0))
        return true; // No loopback to try on: the first real handshake will tell.
    QSslSocket client;
    client.setPeerVerifyMode(QSslSocket::VerifyNone);
    QEventLoop loop;
    bool ok = false;
    QObject::connect(&client, &QSslSocket::encrypted, &loop, [&] {
        ok = true;
        loop.quit();
    });
    QObject::connect(&client, &QSslSocket::errorOccurred, &loop, &QEventLoop::quit);
    QObject::connect(&listener, &QSslServer::errorOccurred, &loop, &QEventLoop::quit);
    QTimer::singleShot(5000, &loop, &QEventLoop::quit);
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), listener.serverPort());
    loop.exec();
    return ok;
}

} // namespace

Expected<QSslConfiguration> loadServerTls(const QString &certFile, const QString &keyFile)
{
    if (!QSslSocket::supportsSsl())
        return tlsError(QStringLiteral("TLS is not available: Qt found no TLS backend"));

    QFile cert(certFile);
    if (!cert.open(QIODevice::ReadOnly))
        return tlsError(QStringLiteral("cannot read the TLS certificate %1: %2")
                            .arg(certFile, cert.errorString()));
    const QList<QSslCertificate> chain = QSslCertificate::fromData(cert.readAll(), QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull())
        return tlsError(QStringLiteral("%1 holds no PEM certificate").arg(certFile));

    QFile keyIn(keyFile);
    if (!keyIn.open(QIODevice::ReadOnly))
        return tlsError(QStringLiteral("cannot read the TLS key %1: %2")
                            .arg(keyFile, keyIn.errorString()));
    const QByteArray keyPem = keyIn.readAll();
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull())
        return tlsError(QStringLiteral("%1 holds no unencrypted PEM private key").arg(keyFile));

    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificateChain(chain);
    config.setPrivateKey(key);
    config.setPeerVerifyMode(QSslSocket::VerifyNone); // Clients log in; no client certificates.
    config.setProtocol(QSsl::TlsV1_2OrLater);
    if (!handshakeWithSelf(config))
        return tlsError(QStringLiteral("the TLS key %1 does not match the certificate %2")
                            .arg(keyFile, certFile));
    return config;
}

} // namespace dpichat::server
