#include "controller.h"
#include "options.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

int main(int argc, char *argv[])
{
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
