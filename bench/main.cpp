#include "controller.h"
#include "options.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <sys/resource.h>

namespace {

// Idle mode opens thousands of sockets: take the hard limit of open files, not the soft one.
void raiseOpenFileLimit()
{
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            std::perror("dpichat-bench: setrlimit(RLIMIT_NOFILE)");
    }
}

} // namespace

int main(int argc, char *argv[])
{
    raiseOpenFileLimit();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("dpichat-bench"));
    QCoreApplication::setApplicationVersion(QStringLiteral(DPICHAT_VERSION));

    bool help = false;
    const auto parsed = bench::parseOptions(QCoreApplication::arguments(), help);
    if (const auto *message = std::get_if<QString>(&parsed)) {
        QTextStream stream(help ? stdout : stderr);
        stream << (help ? *message : QStringLiteral("dpichat-bench: %1\n").arg(*message));
        return help ? 0 : 2;
    }

    bench::Controller controller(std::get<bench::BenchOptions>(parsed));
    QObject::connect(&controller, &bench::Controller::finished, &app, &QCoreApplication::exit,
        Qt::QueuedConnection);
    controller.start();
    return app.exec();
}
