#pragma once

#include <QByteArray>
#include <QString>

/// What a GET on 127.0.0.1 answered: status 0 when nothing came within the time-out.
struct HttpAnswer
{
    int status = 0;
    QByteArray contentType;
    QByteArray body;
};

/// GET http://127.0.0.1:`port``path`, waiting (with the event loop running) up to
/// `timeoutMs`.
HttpAnswer httpGet(quint16 port, const QString &path, int timeoutMs = 10'000);

/// The value of the sample `name` (no labels) in /metrics on `port`, or -1 when it is missing.
qint64 metricSample(quint16 port, const QByteArray &name);
