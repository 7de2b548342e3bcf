#include "clitest.h"

#include <QFile>
#include <QTest>

using namespace Qt::StringLiterals;

void CliTest::initTestCase()
{
    QVERIFY2(QFile::exists(ServerProcess::binary()), "DPICHAT_SERVER_BIN must name the server");
}

void CliTest::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_server = std::make_unique<ServerProcess>(m_dir->filePath(u"chat.db"_s));
}

void CliTest::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

QString CliTest::userList()
{
    QString out, err;
    const int code = m_server->runCommand({u"user"_s, u"list"_s}, {}, &out, &err);
    if (code != 0)
        qWarning("user list failed (%d): %s", code, qPrintable(err));
    return out;
}

QStringList listRow(const QString &listOutput, const QString &email)
{
    const QStringList lines = listOutput.split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const QStringList cols = line.simplified().split(u' ');
        if (cols.size() >= 4 && cols.at(1) == email)
            return cols;
    }
    return {};
}

int rowsWithEmail(const QString &listOutput, const QString &email)
{
    int n = 0;
    const QStringList lines = listOutput.split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const QStringList cols = line.simplified().split(u' ');
        if (cols.size() >= 2 && cols.at(1).compare(email, Qt::CaseInsensitive) == 0)
            ++n;
    }
    return n;
}

bool isOneLine(const QString &text)
{
    const QString t = text.trimmed();
    return !t.isEmpty() && !t.contains(u'\n');
}

