#include "testcerts.h"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

bool TestCerts::openssl(const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(m_dir.path());
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(u"openssl"_s, args);
    if (!p.waitForFinished(60'000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        m_error = u"openssl %1 failed: %2"_s.arg(args.join(u' '), QString::fromLocal8Bit(p.readAll()));
        return false;
    }
    return true;
}

bool TestCerts::make()
{
    if (QStandardPaths::findExecutable(u"openssl"_s).isEmpty()) {
        m_error = u"the openssl command line is missing (scripts/lib.sh installs it)"_s;
        return false;
    }
    if (!m_dir.isValid()) {
        m_error = u"no temporary folder"_s;
        return false;
    }
    const QStringList ec{u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s};
    QFile ext(path("server.ext"));
    if (!ext.open(QIODevice::WriteOnly))
        return false;
    ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
              "basicConstraints=CA:FALSE\n"
              "keyUsage=critical,digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=serverAuth\n");
    ext.close();
    QFile garbage(path("garbage.pem"));
    if (!garbage.open(QIODevice::WriteOnly))
        return false;
    garbage.write("this is not a certificate\n");
    garbage.close();
    return openssl(QStringList{u"req"_s, u"-x509"_s, u"-nodes"_s} + ec
                   + QStringList{u"-keyout"_s, u"ca.key"_s, u"-out"_s, u"ca.pem"_s, u"-days"_s,
                                 u"2"_s, u"-subj"_s, u"/CN=DPI Chat Test CA"_s, u"-addext"_s,
                                 u"basicConstraints=critical,CA:TRUE"_s, u"-addext"_s,
                                 u"keyUsage=critical,keyCertSign,cRLSign"_s})
        && openssl(QStringList{u"req"_s, u"-nodes"_s} + ec
                   + QStringList{u"-keyout"_s, u"server.key"_s, u"-out"_s, u"server.csr"_s,
                                 u"-subj"_s, u"/CN=127.0.0.1"_s})
        && openssl({u"x509"_s, u"-req"_s, u"-in"_s, u"server.csr"_s, u"-CA"_s, u"ca.pem"_s,
                    u"-CAkey"_s, u"ca.key"_s, u"-CAcreateserial"_s, u"-out"_s, u"server.pem"_s,
                    u"-days"_s, u"2"_s, u"-extfile"_s, u"server.ext"_s})
        && openssl(QStringList{u"req"_s, u"-x509"_s, u"-nodes"_s} + ec
                   + QStringList{u"-keyout"_s, u"other-ca.key"_s, u"-out"_s, u"other-ca.pem"_s,
                                 u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=Someone Else"_s})
        && openssl({u"genpkey"_s, u"-algorithm"_s, u"RSA"_s, u"-pkeyopt"_s,
                    u"rsa_keygen_bits:2048"_s, u"-out"_s, u"stray.key"_s});
}
