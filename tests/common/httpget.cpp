#include "httpget.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

using namespace Qt::StringLiterals;

HttpAnswer httpGet(quint16 port, const QString &path, int timeoutMs)
{
    QNetworkAccessManager nam;
    QNetworkReply *reply = nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path))));
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, timeoutMs)) {
        delete reply;
        return {};
    }
    HttpAnswer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    a.body = reply->readAll();
    delete reply;
    return a;
}

qint64 metricSample(quint16 port, const QByteArray &name)
{
    const QByteArray page = httpGet(port, u"/metrics"_s).body;
    for (const QByteArray &line : page.split('\n')) {
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).toLongLong();
    }
    return -1;
}
