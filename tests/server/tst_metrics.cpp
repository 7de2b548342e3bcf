// /healthz and /metrics on --metrics-port: the health check answers 200 "ok" while the
// database does, /metrics parses as Prometheus text, and its counters and gauges move when
// clients connect, log in, send, get pushes and make mistakes.

#include "fixture.h"
#include "httpget.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace {

/// A parsed exposition: samples by "name{labels}" (labels as written), and the declared types.
struct Exposition
{
    QHash<QString, double> samples;
    QHash<QString, QString> types;
    QString error; ///< Empty when every line was well-formed.

    double value(const QString &series) const { return samples.value(series, -1); }
};

/// The Prometheus text format, strictly enough to catch mistakes: HELP and TYPE lines name
/// a metric and (TYPE) a known type, declared once and before its samples; every other line
/// is `name{label="value",...} number`.
Exposition parse(const QByteArray &text)
{
    static const QRegularExpression help(uR"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$)"_s);
    static const QRegularExpression type(
        uR"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)"_s);
    static const QRegularExpression sample(
        uR"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (\S+)$)"_s);
    Exposition e;
    if (!text.endsWith('\n'))
        e.error = u"does not end with a newline"_s;
    const QStringList lines = QString::fromUtf8(text).split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        if (line.startsWith(u"# HELP "_s)) {
            if (!help.match(line).hasMatch())
                e.error = u"bad HELP line: "_s + line;
            continue;
        }
        if (line.startsWith(u"# TYPE "_s)) {
            const auto m = type.match(line);
            if (!m.hasMatch() || e.types.contains(m.captured(1)))
                e.error = u"bad or repeated TYPE line: "_s + line;
            else
                e.types.insert(m.captured(1), m.captured(2));
            continue;
        }
        if (line.startsWith(u'#'))
            continue;
        const auto m = sample.match(line);
        bool ok = false;
        const double v = m.hasMatch() ? (m.captured(3) == u"+Inf" ? qInf() : m.captured(3).toDouble(&ok)) : 0;
        if (!m.hasMatch() || (!ok && m.captured(3) != u"+Inf")) {
            e.error = u"bad sample line: "_s + line;
            continue;
        }
        QString family = m.captured(1);
        for (const char *suffix : {"_bucket", "_sum", "_count"}) {
            if (!e.types.contains(family) && family.endsWith(QLatin1StringView(suffix)))
                family.chop(qstrlen(suffix));
        }
        if (!e.types.contains(family))
            e.error = u"sample before its TYPE: "_s + line;
        e.samples.insert(m.captured(1) + m.captured(2), v);
    }
    return e;
}

} // namespace

class TstMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void healthz();
    void parserCatchesMistakes();
    void countersMoveWhenMessagesFlow();
    void unknownPathIs404();

private:
    Exposition scrape();

    ProtocolFixture m_fx;
};

void TstMetrics::initTestCase()
{
    QVERIFY(m_fx.start({u"--rate-limit"_s, u"0"_s, u"--metrics-port"_s, u"0"_s}));
    QVERIFY2(m_fx.server->metricsPort() != 0, qPrintable(m_fx.server->startupOutput()));
}

Exposition TstMetrics::scrape()
{
    const HttpAnswer a = httpGet(m_fx.server->metricsPort(), u"/metrics"_s);
    if (a.status != 200)
        return {{}, {}, u"status %1"_s.arg(a.status)};
    if (!a.contentType.startsWith("text/plain"))
        return {{}, {}, u"content type "_s + QString::fromLatin1(a.contentType)};
    return parse(a.body);
}

void TstMetrics::healthz()
{
    const HttpAnswer a = httpGet(m_fx.server->metricsPort(), u"/healthz"_s);
    QCOMPARE(a.status, 200);
    QCOMPARE(a.body.trimmed(), "ok");
}

void TstMetrics::parserCatchesMistakes()
{
    // The parser must be able to say no, or the test below proves nothing.
    QVERIFY(parse("# TYPE a counter\na 1\n").error.isEmpty());
    QVERIFY(!parse("# TYPE a counter\na one\n").error.isEmpty());
    QVERIFY(!parse("a 1\n").error.isEmpty());
    QVERIFY(!parse("# TYPE a counter\na{code=internal} 1\n").error.isEmpty());
    QVERIFY(!parse("# TYPE a countr\na 1\n").error.isEmpty());
    QVERIFY(!parse("# TYPE a counter\na 1").error.isEmpty());
}

void TstMetrics::countersMoveWhenMessagesFlow()
{
    const Exposition before = scrape();
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));
    for (const char *name : {"dpichat_connections", "dpichat_sessions"})
        QCOMPARE(before.types.value(QString::fromLatin1(name)), u"gauge"_s);
    for (const char *name : {"dpichat_messages_stored_total", "dpichat_messages_received_total",
                             "dpichat_pushes_total", "dpichat_errors_total", "dpichat_db_errors_total"})
        QCOMPARE(before.types.value(QString::fromLatin1(name)), u"counter"_s);
    QCOMPARE(before.types.value(u"dpichat_send_latency_seconds"_s), u"histogram"_s);
    QCOMPARE(before.value(u"dpichat_sessions"_s), 0.0);

    auto carol = m_fx.client("carol@customer.test");
    auto ann = m_fx.client("ann@support.test");
    QVERIFY(carol && ann);
    const qint64 thread = carol->request(obj({{u"type"_s, u"threads"_s}}))
                              .value("threads"_L1).toArray().first().toObject()
                              .value("id"_L1).toInteger();
    constexpr int kSends = 5;
    for (int i = 0; i < kSends; ++i) {
        const QJsonObject sent = carol->request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread},
                                                     {u"clientId"_s, u"m-%1"_s.arg(i)},
                                                     {u"text"_s, u"hello"_s}}));
        QCOMPARE(typeOf(sent), u"sent"_s);
    }
    QVERIFY(ann->waitForPushes(u"message"_s, kSends));
    // A repeat of a clientId is acknowledged but stores nothing; a foreign thread is forbidden.
    QCOMPARE(typeOf(carol->request(obj({{u"type"_s, u"send"_s}, {u"thread"_s, thread},
                                        {u"clientId"_s, u"m-0"_s}, {u"text"_s, u"hello"_s}}))),
             u"sent"_s);
    QCOMPARE(codeOf(carol->request(obj({{u"type"_s, u"history"_s}, {u"thread"_s, thread + 1000},
                                        {u"before"_s, QJsonValue::Null}, {u"limit"_s, 10}}))),
             u"forbidden"_s);
    carol->sendRaw(u"not json"_s);
    QVERIFY(carol->waitForPushes(u"error"_s, 1));

    const Exposition after = scrape();
    QVERIFY2(after.error.isEmpty(), qPrintable(after.error));
    QCOMPARE(after.value(u"dpichat_connections"_s), 2.0);
    QCOMPARE(after.value(u"dpichat_sessions"_s), 2.0);
    QCOMPARE(after.value(u"dpichat_messages_stored_total"_s)
                 - before.value(u"dpichat_messages_stored_total"_s), double(kSends));
    QCOMPARE(after.value(u"dpichat_messages_received_total"_s)
                 - before.value(u"dpichat_messages_received_total"_s), double(kSends + 1));
    // Ann got each message as a push (and presence pushes on top).
    QVERIFY(after.value(u"dpichat_pushes_total"_s) - before.value(u"dpichat_pushes_total"_s) >= kSends);
    QCOMPARE(after.value(uR"(dpichat_errors_total{code="forbidden"})"_s)
                 - before.value(uR"(dpichat_errors_total{code="forbidden"})"_s), 1.0);
    QCOMPARE(after.value(uR"(dpichat_errors_total{code="bad_request"})"_s)
                 - before.value(uR"(dpichat_errors_total{code="bad_request"})"_s), 1.0);
    QCOMPARE(after.value(u"dpichat_db_errors_total"_s), 0.0);
    // Every acknowledged send is in the histogram, and the buckets only grow to +Inf.
    const double count = after.value(u"dpichat_send_latency_seconds_count"_s);
    QCOMPARE(count - before.value(u"dpichat_send_latency_seconds_count"_s), double(kSends + 1));
    QCOMPARE(after.value(uR"(dpichat_send_latency_seconds_bucket{le="+Inf"})"_s), count);
    QVERIFY(after.value(u"dpichat_send_latency_seconds_sum"_s) > 0);
    for (auto it = after.samples.cbegin(); it != after.samples.cend(); ++it) {
        if (it.key().startsWith(u"dpichat_send_latency_seconds_bucket"_s))
            QVERIFY(it.value() <= count);
    }

    carol.reset();
    QTRY_COMPARE(scrape().value(u"dpichat_connections"_s), 1.0);
    QCOMPARE(scrape().value(u"dpichat_sessions"_s), 1.0);
}

void TstMetrics::unknownPathIs404()
{
    QCOMPARE(httpGet(m_fx.server->metricsPort(), u"/nothing-here"_s).status, 404);
}

QTEST_GUILESS_MAIN(TstMetrics)
#include "tst_metrics.moc"
