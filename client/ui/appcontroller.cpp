#include "appcontroller.h"

#include "adminwindow.h"
#include "chatsession.h"
#include "customerwindow.h"
#include "drafts.h"
#include "logging.h"
#include "logindialog.h"
#include "notifier.h"
#include "outbox.h"
#include "tokenstore.h"

#include <QApplication>
#include <QDir>
#include <QTimer>

namespace dpichat::ui {

AppController::AppController(const Options &options, QSettings *settings, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_settings(settings)
{
    QDir().mkpath(m_options.dataDir);
    const QString dbPath = QDir(m_options.dataDir).filePath(QStringLiteral("client.sqlite"));
    m_outbox = std::make_unique<Outbox>(dbPath);
    m_drafts = std::make_unique<Drafts>(dbPath);
    m_tokens = std::make_unique<TokenStore>(m_options.keychainService, m_settings);

    connect(m_tokens.get(), &TokenStore::loaded, this, [this](const QString &token) {
        if (m_phase != Phase::LoadingToken)
            return;
        m_phase = Phase::LoggingIn;
        m_tokenLogin = true;
        newConnection();
        m_connection->loginWithToken(m_server, token);
    });
    connect(m_tokens.get(), &TokenStore::loadFailed, this,
        [this](const QString &reason, bool notFound) {
            if (m_phase != Phase::LoadingToken)
                return;
            m_phase = Phase::Idle;
            showLogin(notFound ? QString() : reason);
        });
    connect(m_tokens.get(), &TokenStore::saved, this, [this] {
        if (m_phase != Phase::SavingToken)
            return;
        m_phase = Phase::Idle;
        m_tokens->setLastAccount(m_server, m_email);
        openWindow();
    });
    connect(m_tokens.get(), &TokenStore::saveFailed, this, [this](const QString &reason) {
        if (m_phase != Phase::SavingToken)
            return;
        m_phase = Phase::Idle;
        qCWarning(lcClientStore) << "session token not remembered";
        m_tokens->clearLastAccount();
        if (m_dialog) {
            m_dialog->showRememberFailed(reason);
            m_dialog->raise();
        } else {
            openWindow();
        }
    });
}

AppController::~AppController()
{
    delete m_window;
    delete m_dialog;
    if (m_connection)
        m_connection->disconnectFromServer();
    m_session.reset();
}

LoginDialog *AppController::loginDialog() const
{
    return m_dialog;
}

ChatWindow *AppController::window() const
{
    return m_window;
}

Notifier *AppController::notifier() const
{
    return m_notifier;
}

void AppController::start()
{
    if (m_options.autoLogin && !m_options.email.isEmpty()) {
        showLogin();
        loginWithPassword(m_dialog->server(), m_options.email, m_options.password, false);
        return;
    }
    const QString lastEmail = m_tokens->lastEmail();
    if (m_options.email.isEmpty() && !lastEmail.isEmpty() && m_tokens->lastServer().isValid()) {
        m_server = m_tokens->lastServer();
        m_email = lastEmail;
        m_phase = Phase::LoadingToken;
        m_tokens->load(m_server, m_email);
        return;
    }
    showLogin();
}

void AppController::showLogin(const QString &notice)
{
    if (!m_dialog) {
        m_dialog = new LoginDialog;
        m_dialog->setAttribute(Qt::WA_DeleteOnClose, false);
        connect(m_dialog, &LoginDialog::loginRequested, this, &AppController::loginWithPassword);
        connect(m_dialog, &QDialog::rejected, this, [this] {
            if (!m_window)
                Q_EMIT quitRequested();
        });
        connect(m_dialog, &QDialog::accepted, this, [this] {
            if (!m_window && m_session && m_connection && m_connection->isOnline())
                openWindow();
        });
    }
    QUrl server = m_options.server;
    if (server.isEmpty())
        server = m_tokens->lastServer();
    if (!server.isEmpty())
        m_dialog->setServer(server.toString());
    const QString email = !m_options.email.isEmpty() ? m_options.email
        : !m_email.isEmpty()                         ? m_email
                                                     : m_tokens->lastEmail();
    m_dialog->setEmail(email);
    m_dialog->setBusy(false);
    m_dialog->showNotice(notice);
    m_dialog->show();
    m_dialog->raise();
    m_dialog->activateWindow();
}

void AppController::newConnection()
{
    m_session.reset();
    if (m_connection) {
        // A connection that is logging out finishes on its own, then goes.
        Connection *old = m_connection.release();
        connect(old, &Connection::loggedOut, old, &QObject::deleteLater);
        QTimer::singleShot(5000, old, &QObject::deleteLater);
    }
    m_connection = std::make_unique<Connection>();
    m_session = std::make_unique<ChatSession>(m_connection.get(), m_outbox.get());
    connect(m_connection.get(), &Connection::loggedIn, this, &AppController::onLoggedIn);
    connect(m_connection.get(), &Connection::loginFailed, this, &AppController::onLoginFailed);
    connect(m_connection.get(), &Connection::sessionExpired, this, [this](const QString &) {
        m_tokens->remove(m_server, m_email);
        m_tokens->clearLastAccount();
        onSessionEnded(tr("Your session has ended. Please log in again."));
    });
}

void AppController::loginWithPassword(
    const QUrl &server, const QString &email, const QString &password, bool remember)
{
    m_server = server;
    m_email = email;
    m_remember = remember;
    m_tokenLogin = false;
    m_phase = Phase::LoggingIn;
    if (m_dialog)
        m_dialog->setBusy(true);
    newConnection();
    m_connection->loginWithPassword(server, email, password);
}

void AppController::onLoggedIn(const User &user, const QString &token)
{
    qCInfo(lcClientNet) << "logged in as user" << user.id;
    m_drafts->setAccount(Outbox::accountKey(m_server, user.id));
    if (m_tokenLogin || !m_remember) {
        m_phase = Phase::Idle;
        if (!m_tokenLogin)
            m_tokens->clearLastAccount();
        openWindow();
        return;
    }
    m_phase = Phase::SavingToken;
    m_tokens->save(m_server, m_email, token);
}

void AppController::onLoginFailed(Connection::LoginError error, const QString &reason)
{
    m_phase = Phase::Idle;
    if (m_tokenLogin && error == Connection::LoginError::AuthFailed) {
        // The remembered token was revoked or expired: forget it, ask for the password.
        m_tokens->remove(m_server, m_email);
        m_tokens->clearLastAccount();
        showLogin(tr("Your session has ended. Please log in again."));
        return;
    }
    showLogin();
    m_dialog->showError(loginErrorText(error, reason, m_server));
}

QString AppController::loginErrorText(
    Connection::LoginError error, const QString &reason, const QUrl &server)
{
    switch (error) {
    case Connection::LoginError::AuthFailed:
        return tr("The email address or the password is not right. Please check both and try "
                  "again.");
    case Connection::LoginError::Unreachable:
        return tr("The server at %1 cannot be reached. Check the address and your network "
                  "connection; the server may also be down.")
            .arg(server.toDisplayString());
    case Connection::LoginError::UnsupportedProtocol:
        return tr("The server does not accept this version of DPI Chat. Please update the app, "
                  "or ask your administrator which version the server needs.");
    case Connection::LoginError::Other:
        break;
    }
    return reason.isEmpty() ? tr("Logging in did not work. Please try again.")
                            : tr("Logging in did not work: %1").arg(reason);
}

void AppController::openWindow()
{
    if (m_window || !m_session)
        return;
    if (m_dialog) {
        m_dialog->hide();
        m_dialog->deleteLater();
    }
    ChatWindow *window = nullptr;
    if (m_session->isAdmin())
        window = new AdminWindow(m_session.get(), m_drafts.get(), m_settings);
    else
        window = new CustomerWindow(m_session.get(), m_drafts.get(), m_settings);
    m_window = window;
    m_notifier = new Notifier(window, m_settings, window);
    connect(window, &ChatWindow::logoutRequested, this, &AppController::logout);
    connect(window, &ChatWindow::quitRequested, this, &AppController::quitRequested);
    window->show();
    window->activateWindow();
    Q_EMIT windowShown(window);
}

void AppController::closeWindow()
{
    if (m_window) {
        m_window->hide();
        m_window->deleteLater();
        m_window = nullptr;
    }
}

void AppController::logout()
{
    qCInfo(lcClientNet) << "logging out";
    closeWindow();
    m_tokens->remove(m_server, m_email);
    m_tokens->clearLastAccount();
    if (m_connection)
        m_connection->logout();
    showLogin(tr("You have logged out."));
}

void AppController::onSessionEnded(const QString &notice)
{
    closeWindow();
    showLogin(notice);
}

} // namespace dpichat::ui
