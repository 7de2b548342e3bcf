// dpichat-client-bench: the desktop client's figures for issue 3, against a real server.
//
//  1. Open a thread holding 100,000 messages (admin inbox, openThread): time until the newest
//     page's rows are in the view, the view is at the bottom and its viewport has painted;
//     median of 5 opens, each in a fresh login (a fresh ChatSession, so no cached model).
//     Resident memory (VmRSS) after the open.
//  2. Scroll through 10,000 messages loaded in that thread's model: 200 steps of the vertical
//     scroll bar, each followed by a synchronous repaint of the viewport and processing events.
//  3. Cold start to an inbox of 1,000 threads: from creating the AppController (password
//     login) until the thread list holds 1,000 rows and its viewport has painted.
//
// The databases are written by a child run of this program (`--generate DIR`, straight
// through SqlStore) so that generating them does not count in the client's memory.
// Run through bench/run-client-bench.

#include "adminwindow.h"
#include "appcontroller.h"
#include "benchdata.h"
#include "chatsession.h"
#include "chatview.h"
#include "models/messagemodel.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QListView>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>
#include <algorithm>
#include <functional>
#include <memory>

using namespace Qt::StringLiterals;
using namespace dpichat;
using namespace dpichat::clientbench;
using dpichat::ui::AdminWindow;
using dpichat::ui::AppController;

namespace {

constexpr int kLoaded = 10'000;
constexpr int kScrollSteps = 200;
constexpr int kOpens = 5;
constexpr int kColdStarts = 5;

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

double rssMb()
{
    QFile f(u"/proc/self/status"_s);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            const QList<QByteArray> parts = line.simplified().split(' ');
            return parts.size() >= 2 ? parts.at(1).toDouble() / 1024.0 : -1;
        }
    }
    return -1;
}

double median(QList<double> v)
{
    if (v.isEmpty())
        return -1;
    std::sort(v.begin(), v.end());
    const qsizetype n = v.size();
    return n % 2 ? v.at(n / 2) : (v.at(n / 2 - 1) + v.at(n / 2)) / 2.0;
}

/// Processes events until pred() holds (true) or timeoutMs passes (false). Sleeps in the
/// event loop rather than spinning (the server shares the CPU); a 1 ms timer bounds the lag.
bool waitFor(const std::function<bool()> &pred, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    QTimer tick;
    tick.setInterval(1);
    tick.start();
    while (!pred()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
    }
    return true;
}

void settle(int ms)
{
    QElapsedTimer t;
    t.start();
    waitFor([&] { return t.elapsed() >= ms; }, ms + 1000);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

// ---- Server ------------------------------------------------------------------------------

class Server {
public:
    ~Server()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(5000))
                m_process.kill();
            m_process.waitForFinished();
        }
    }
    bool start(const QString &binary, const QString &db)
    {
        m_process.setStandardErrorFile(QProcess::nullDevice());
        m_process.start(binary,
            { u"--db"_s, u"sqlite:"_s + db, u"--port"_s, u"0"_s, u"--rate-limit"_s, u"0"_s });
        if (!m_process.waitForStarted(10000))
            return false;
        static const QRegularExpression listening(u"listening on (ws://[^/\\s]+/)"_s);
        QByteArray seen;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 30000 && m_process.state() == QProcess::Running) {
            m_process.waitForReadyRead(200);
            seen += m_process.readAllStandardOutput();
            const auto m = listening.match(QString::fromUtf8(seen));
            if (m.hasMatch()) {
                m_url = QUrl(m.captured(1));
                QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
                    [this] { m_process.readAllStandardOutput(); });
                return true;
            }
        }
        return false;
    }
    QUrl url() const { return m_url; }

private:
    QProcess m_process;
    QUrl m_url;
};

// ---- Client ------------------------------------------------------------------------------

/// Sets a flag when the watched widget gets a paint event while `ready()` holds.
class PaintWatch : public QObject {
public:
    PaintWatch(QWidget *w, std::function<bool()> ready)
        : m_widget(w)
        , m_ready(std::move(ready))
    {
        w->installEventFilter(this);
    }
    ~PaintWatch() override
    {
        if (m_widget)
            m_widget->removeEventFilter(this);
    }
    bool painted = false;

protected:
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::Paint && m_ready())
            painted = true;
        return false;
    }

private:
    QPointer<QWidget> m_widget;
    std::function<bool()> m_ready;
};

struct Client {
    std::unique_ptr<QSettings> settings;
    std::unique_ptr<AppController> app;
};

int g_clientSerial = 0;

/// Creates the controller and logs in with the password (the user's "start the app").
Client startClient(const QString &tmp, const QUrl &server)
{
    const int n = ++g_clientSerial;
    Client c;
    AppController::Options o;
    o.dataDir = QDir(tmp).filePath(u"client%1"_s.arg(n));
    o.keychainService = u"DPI Chat bench %1"_s.arg(n);
    o.server = server;
    o.email = kAdminEmail;
    o.password = kPassword;
    o.autoLogin = true;
    c.settings = std::make_unique<QSettings>(
        QDir(tmp).filePath(u"client%1.ini"_s.arg(n)), QSettings::IniFormat);
    c.app = std::make_unique<AppController>(o, c.settings.get());
    c.app->start();
    return c;
}

void stopClient(Client &c)
{
    c.app.reset();
    c.settings.reset();
    settle(200);
}

AdminWindow *adminOf(const Client &c)
{
    return qobject_cast<AdminWindow *>(c.app->window());
}

} // namespace

int main(int argc, char *argv[])
{
    QElapsedTimer processClock;
    processClock.start();
    for (int i = 1; i + 1 < argc; ++i)
        if (qstrcmp(argv[i], "--generate") == 0) {
            QCoreApplication core(argc, argv);
            return generate(QString::fromLocal8Bit(argv[i + 1]));
        }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    QApplication qapp(argc, argv);
    const double appCtorMs = double(processClock.nsecsElapsed()) / 1e6;
    QStandardPaths::setTestModeEnabled(true);
    const double rssBaseline = rssMb();

    QString serverBin = qEnvironmentVariable("DPICHAT_SERVER_BIN");
    if (serverBin.isEmpty())
        serverBin = QDir(QCoreApplication::applicationDirPath())
                        .filePath(u"../../server/dpichat-server"_s);
    QTemporaryDir tmp;
    if (!tmp.isValid())
        return 1;

    out() << "Generating " << kThreadMessages << " messages in one thread and an inbox of "
          << kInboxThreads << " threads ..." << Qt::endl;
    QElapsedTimer genClock;
    genClock.start();
    QProcess gen;
    gen.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    gen.start(QCoreApplication::applicationFilePath(), { u"--generate"_s, tmp.path() });
    if (!gen.waitForFinished(600000) || gen.exitCode() != 0) {
        out() << "generating the databases failed" << Qt::endl;
        return 1;
    }
    const qint64 bigThread = QString::fromUtf8(gen.readAllStandardOutput())
                                 .section(u' ', 1)
                                 .trimmed()
                                 .toLongLong();
    out() << "  done in " << genClock.elapsed() / 1000.0 << " s" << Qt::endl;

    // ---- 3. Cold start to an inbox of 1,000 threads (first: the process's first window) ----
    QList<double> cold;
    {
        Server server;
        if (!server.start(serverBin, tmp.filePath(u"inbox.sqlite"_s))) {
            out() << "could not start " << serverBin << Qt::endl;
            return 1;
        }
        for (int run = 0; run < kColdStarts; ++run) {
            std::unique_ptr<PaintWatch> watch;
            QElapsedTimer t;
            t.start();
            Client c = startClient(tmp.path(), server.url());
            const bool ok = waitFor(
                [&] {
                    AdminWindow *w = adminOf(c);
                    if (!w)
                        return false;
                    if (!watch)
                        watch = std::make_unique<PaintWatch>(w->threadList()->viewport(),
                            [w] { return w->threadList()->model()->rowCount() >= kInboxThreads; });
                    return watch->painted;
                },
                30000);
            const double ms = double(t.nsecsElapsed()) / 1e6;
            if (!ok) {
                out() << "cold start: the inbox did not show " << kInboxThreads << " rows"
                      << Qt::endl;
                return 1;
            }
            cold.append(ms);
            watch.reset();
            stopClient(c);
        }
    }

    // ---- 1. Open the 100,000-message thread, 5 fresh logins ----------------------------------
    QList<double> opens;
    double rssAfterOpen = 0;
    double rssAfterScroll = 0;
    QList<double> steps;
    int loadedRows = 0;
    int firstPageRows = 0;
    QString newestShown;
    {
        Server server;
        if (!server.start(serverBin, tmp.filePath(u"open.sqlite"_s))) {
            out() << "could not start " << serverBin << Qt::endl;
            return 1;
        }
        for (int run = 0; run < kOpens; ++run) {
            Client c = startClient(tmp.path(), server.url());
            if (!waitFor([&] { return adminOf(c) && adminOf(c)->threadList()->model()->rowCount() > 0; },
                    30000)) {
                out() << "open: no inbox" << Qt::endl;
                return 1;
            }
            AdminWindow *w = adminOf(c);
            w->resize(1000, 700);
            settle(300);
            ui::ChatView *view = w->chatView();
            PaintWatch watch(view->listView()->viewport(), [view, bigThread] {
                return view->thread() == bigThread && view->model()
                    && view->model()->rowCount() > 0 && view->isAtBottom();
            });
            QElapsedTimer t;
            t.start();
            w->openThread(bigThread);
            const bool ok = waitFor([&] { return watch.painted; }, 30000);
            const double ms = double(t.nsecsElapsed()) / 1e6;
            if (!ok) {
                out() << "open: the newest page did not paint" << Qt::endl;
                return 1;
            }
            opens.append(ms);
            if (run == 0) {
                // What was on screen at the first paint: one page, ending at the newest message.
                firstPageRows = view->model()->rowCount();
                newestShown = view->model()
                                  ->index(firstPageRows - 1)
                                  .data(MessageModel::TextRole)
                                  .toString()
                                  .section(u' ', 0, 0);
            }
            settle(200);
            if (run == 0)
                rssAfterOpen = rssMb();

            if (run == kOpens - 1) {
                // ---- 2. Load 10,000 messages, then scroll through them ------------------------
                MessageModel *model = view->model();
                while (model->rowCount() < kLoaded) {
                    const int before = model->rowCount();
                    c.app->session()->loadOlder(bigThread);
                    if (!waitFor([&] { return model->rowCount() > before; }, 30000)) {
                        out() << "scroll: older history did not arrive" << Qt::endl;
                        return 1;
                    }
                }
                settle(300);
                loadedRows = model->rowCount();
                QListView *list = view->listView();
                QScrollBar *bar = list->verticalScrollBar();
                // From the top (less the band where older pages load) to the newest message.
                const int top = bar->minimum() + view->fontMetrics().height() * 4;
                bar->setValue(top);
                settle(200);
                const int max = bar->maximum();
                for (int s = 1; s <= kScrollSteps; ++s) {
                    const int value = top + int(qint64(max - top) * s / kScrollSteps);
                    QElapsedTimer st;
                    st.start();
                    bar->setValue(value);
                    QCoreApplication::processEvents();
                    list->viewport()->repaint();
                    steps.append(double(st.nsecsElapsed()) / 1e6);
                }
                if (model->rowCount() != loadedRows)
                    out() << "note: scrolling loaded more rows (" << model->rowCount() << ")"
                          << Qt::endl;
                rssAfterScroll = rssMb();
            }
            stopClient(c);
        }
    }

    auto f = [](double v, int prec = 1) { return QString::number(v, 'f', prec); };
    QStringList openList, coldList;
    for (double v : opens)
        openList.append(f(v));
    for (double v : cold)
        coldList.append(f(v));
    QList<double> sorted = steps;
    std::sort(sorted.begin(), sorted.end());
    const double p95 = sorted.isEmpty() ? -1 : sorted.at(qsizetype(sorted.size() * 0.95));
    const double worst = sorted.isEmpty() ? -1 : sorted.last();

    out() << "\nDPI Chat desktop client (QT_QPA_PLATFORM=" << qEnvironmentVariable("QT_QPA_PLATFORM")
          << ", window 1000x700)\n\n";
    out() << "| Figure | Result | Aim |\n|---|---|---|\n";
    out() << "| Open a thread of " << kThreadMessages
          << " messages: time to first paint of the newest page (median of " << kOpens
          << " fresh logins) | " << f(median(opens)) << " ms (" << openList.join(u", "_s)
          << ") | < 200 ms |\n";
    out() << "| Rows in the model at first paint / newest row shown | " << firstPageRows << " / "
          << newestShown << " | |\n";
    out() << "| Resident memory after that open (VmRSS) | " << f(rssAfterOpen) << " MB (before login: "
          << f(rssBaseline) << " MB) | < 150 MB |\n";
    out() << "| Resident memory with " << loadedRows << " messages loaded, after scrolling | "
          << f(rssAfterScroll) << " MB | |\n";
    out() << "| Scroll through " << loadedRows << " loaded messages: ms per step (" << kScrollSteps
          << " steps, median / p95 / worst) | " << f(median(steps), 2) << " / " << f(p95, 2)
          << " / " << f(worst, 2) << " ms | |\n";
    out() << "| Cold start to an inbox of " << kInboxThreads
          << " threads (AppController + password login until 1,000 rows painted; median of "
          << kColdStarts << ", first = first window of the process) | " << f(median(cold))
          << " ms (" << coldList.join(u", "_s) << ") | |\n";
    out() << "| QApplication construction (before the above) | " << f(appCtorMs) << " ms | |\n";
    out().flush();
    return 0;
}
