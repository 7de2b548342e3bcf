#pragma once

#include <QString>
#include <QTemporaryDir>

/// Throwaway TLS material made with the openssl command line in a temporary folder: a CA
/// (ca.pem), a server certificate it signs for 127.0.0.1 and localhost (server.pem,
/// server.key), a CA that signed nothing here (other-ca.pem), a key of no certificate
/// (stray.key) and a file that is not PEM at all (garbage.pem).
class TestCerts
{
public:
    /// Makes everything; false (with the reason in `error()`) when openssl is missing or fails.
    bool make();
    QString error() const { return m_error; }
    QString path(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

private:
    bool openssl(const QStringList &args);

    QTemporaryDir m_dir;
    QString m_error;
};
