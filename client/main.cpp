// DPI Chat desktop client: command line, translations, profiles, then the AppController.

#include "adminwindow.h"
#include "appcontroller.h"
#include "appearance.h"
#include "chatsession.h"
#include "chatview.h"
#include "logging.h"
#include "logindialog.h"
#include "models/threadmodel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QLibraryInfo>
#include <QListView>
#include <QSettings>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleFactory>
#include <QTextStream>
#include <QTimer>
#include <QTranslator>
#include <cstdio>
#include <memory>

using dpichat::ui::AppController;

namespace {

void installTranslators(QApplication &app, const QLocale &locale)
{
    auto *qt = new QTranslator(&app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
            QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    // English plural forms first, so any language without its own file still reads
    // "1 new message"; the last installed translator is asked first.
    auto *english = new QTranslator(&app);
    if (english->load(QStringLiteral(":/i18n/dpichat_en.qm")))
        QCoreApplication::installTranslator(english);
    auto *own = new QTranslator(&app);
    if (locale.language() != QLocale::English
        && own->load(
            locale, QStringLiteral("dpichat"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(own);
}

QString readPasswordFromStdin()
{
    QTextStream in(stdin);
    return in.readLine();
}

/// Grabs `widget` into `path` and quits; the screenshot script's way in.
void grabAndQuit(QWidget *widget, const QString &path)
{
    const bool ok = widget->grab().save(path);
    std::fprintf(stderr, "%s %s\n", ok ? "saved" : "could not save", qPrintable(path));
    QCoreApplication::exit(ok ? 0 : 1);
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("DesignPi"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("designpi.com"));
    QCoreApplication::setApplicationName(QStringLiteral("dpichat"));
    QCoreApplication::setApplicationVersion(QStringLiteral(DPICHAT_VERSION));
    QGuiApplication::setDesktopFileName(QStringLiteral("dpichat"));

    // The language first, so --help is already in it.
    QLocale locale;
    const QStringList args = QCoreApplication::arguments();
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        QString lang;
        if (arg == QLatin1String("--lang") && i + 1 < args.size())
            lang = args.at(i + 1);
        else if (arg.startsWith(QLatin1String("--lang=")))
            lang = arg.mid(7);
        if (!lang.isEmpty()) {
            locale = QLocale(lang);
            QLocale::setDefault(locale);
        }
    }
    installTranslators(app, locale);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QCoreApplication::translate("main", "DPI Chat desktop client"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption langOption(QStringLiteral("lang"),
        QCoreApplication::translate("main", "Use language LANG (e.g. de)."),
        QStringLiteral("LANG"));
    const QCommandLineOption serverOption(QStringLiteral("server"),
        QCoreApplication::translate("main", "Server address (default ws://127.0.0.1:8787/)."),
        QStringLiteral("URL"));
    const QCommandLineOption emailOption(QStringLiteral("email"),
        QCoreApplication::translate("main", "Email address to log in with."),
        QStringLiteral("EMAIL"));
    const QCommandLineOption passwordStdinOption(QStringLiteral("password-stdin"),
        QCoreApplication::translate("main", "Read the password from standard input and log in."));
    const QCommandLineOption passwordEnvOption(QStringLiteral("password-env"),
        QCoreApplication::translate("main",
            "Read the password from environment variable VAR "
            "and log in."),
        QStringLiteral("VAR"));
    const QCommandLineOption profileOption(QStringLiteral("profile"),
        QCoreApplication::translate("main",
            "Keep settings, outbox and drafts apart under NAME "
            "(run two users on one machine)."),
        QStringLiteral("NAME"));
    const QCommandLineOption darkOption(
        QStringLiteral("dark"), QCoreApplication::translate("main", "Use a dark palette."));
    const QCommandLineOption lightOption(QStringLiteral("light"),
        QCoreApplication::translate("main", "Use the Fusion style's light palette."));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QCoreApplication::translate(
            "main", "Save a picture of the first window to FILE, then quit."),
        QStringLiteral("FILE"));
    const QCommandLineOption sizeOption(QStringLiteral("window-size"),
        QCoreApplication::translate("main", "Initial window size, WIDTHxHEIGHT."),
        QStringLiteral("SIZE"));
    parser.addOptions({ langOption, serverOption, emailOption, passwordStdinOption,
        passwordEnvOption, profileOption, darkOption, lightOption, screenshotOption, sizeOption });
    parser.process(app);

    if (parser.isSet(darkOption) || parser.isSet(lightOption)) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(parser.isSet(darkOption)
                ? dpichat::ui::darkPalette()
                : QApplication::style()->standardPalette());
    }

    const QString profile = parser.value(profileOption);
    QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    std::unique_ptr<QSettings> settings;
    if (profile.isEmpty()) {
        settings = std::make_unique<QSettings>();
    } else {
        dataDir = QDir(dataDir).filePath(QStringLiteral("profiles/") + profile);
        settings = std::make_unique<QSettings>(QSettings::IniFormat, QSettings::UserScope,
            QCoreApplication::organizationName(), QStringLiteral("dpichat-") + profile);
    }

    AppController::Options options;
    options.dataDir = dataDir;
    options.keychainService = profile.isEmpty() ? QStringLiteral("DPI Chat")
                                                : QStringLiteral("DPI Chat (%1)").arg(profile);
    if (parser.isSet(serverOption))
        options.server = QUrl::fromUserInput(parser.value(serverOption));
    options.email = parser.value(emailOption);
    if (parser.isSet(passwordStdinOption))
        options.password = readPasswordFromStdin();
    else if (parser.isSet(passwordEnvOption))
        options.password = qEnvironmentVariable(parser.value(passwordEnvOption).toLocal8Bit());
    options.autoLogin = !options.email.isEmpty() && !options.password.isEmpty();
    if ((parser.isSet(passwordStdinOption) || parser.isSet(passwordEnvOption))
        && options.password.isEmpty()) {
        std::fprintf(stderr, "%s\n",
            qPrintable(QCoreApplication::translate("main", "No password was given.")));
        return 2;
    }

    AppController controller(options, settings.get());
    QObject::connect(&controller, &AppController::quitRequested, &app, &QApplication::quit);

    QSize windowSize;
    if (parser.isSet(sizeOption)) {
        const QStringList parts = parser.value(sizeOption).split(QLatin1Char('x'));
        if (parts.size() == 2)
            windowSize = QSize(parts.at(0).toInt(), parts.at(1).toInt());
    }
    const QString screenshot = parser.value(screenshotOption);
    QObject::connect(
        &controller, &AppController::windowShown, &app, [&](dpichat::ui::ChatWindow *window) {
            if (windowSize.isValid())
                window->resize(windowSize);
            if (screenshot.isEmpty())
                return;
            // Wait for the catch-up, open the newest thread in the inbox, let its
            // history arrive, then take the picture.
            QTimer::singleShot(1200, window, [window, screenshot] {
                if (auto *admin = qobject_cast<dpichat::ui::AdminWindow *>(window)) {
                    const QModelIndex first = admin->threadList()->model()->index(0, 0);
                    if (first.isValid())
                        admin->openThread(
                            first.data(dpichat::ThreadModel::ThreadIdRole).toLongLong());
                }
                QTimer::singleShot(
                    1500, window, [window, screenshot] { grabAndQuit(window, screenshot); });
            });
        });
    controller.start();
    if (!screenshot.isEmpty()) {
        QTimer::singleShot(1500, &app, [&] {
            if (!controller.window() && controller.loginDialog()
                && controller.loginDialog()->isVisible()) {
                if (windowSize.isValid())
                    controller.loginDialog()->resize(windowSize);
                QTimer::singleShot(
                    200, &app, [&] { grabAndQuit(controller.loginDialog(), screenshot); });
            }
        });
        QTimer::singleShot(30000, &app, [] {
            std::fprintf(stderr, "screenshot timed out\n");
            QCoreApplication::exit(1);
        });
    }
    return app.exec();
}
