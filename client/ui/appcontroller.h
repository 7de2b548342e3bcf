#pragma once

#include "connection.h"

#include <QObject>
#include <QPointer>
#include <QUrl>
#include <memory>

class QSettings;

namespace dpichat {
class ChatSession;
class Drafts;
class Outbox;
class TokenStore;
} // namespace dpichat

namespace dpichat::ui {

class ChatWindow;
class LoginDialog;
class Notifier;

/// Runs the app from login to logout: the login dialog (or a remembered session), then the
/// window for the user's role, and back to the dialog after logging out or when the session
/// has ended. Owns everything that lives for one login.
class AppController : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString dataDir; ///< Outbox and drafts live here (one folder per profile).
        QString keychainService; ///< Distinct per profile so two users can be remembered.
        QUrl server; ///< Prefilled in the dialog; empty: the last or the default.
        QString email;
        QString password; ///< With email: log in at once (demo and test convenience).
        bool autoLogin = false;
    };

    /// `settings` is not owned and must outlive the controller.
    AppController(const Options &options, QSettings *settings, QObject *parent = nullptr);
    ~AppController() override;

    void start();

    LoginDialog *loginDialog() const;
    ChatWindow *window() const;
    ChatSession *session() const { return m_session.get(); }
    Connection *connection() const { return m_connection.get(); }
    Notifier *notifier() const;

    /// A sentence for the user about a failed login.
    static QString loginErrorText(
        Connection::LoginError error, const QString &reason, const QUrl &server);

public Q_SLOTS:
    void logout();

Q_SIGNALS:
    /// The role's window is on screen.
    void windowShown(dpichat::ui::ChatWindow *window);
    /// The user quit from the dialog or the menu.
    void quitRequested();

private:
    enum class Phase { Idle, LoadingToken, LoggingIn, SavingToken };

    void showLogin(const QString &notice = QString());
    void newConnection();
    void loginWithPassword(
        const QUrl &server, const QString &email, const QString &password, bool remember);
    void onLoggedIn(const User &user, const QString &token);
    void onLoginFailed(Connection::LoginError error, const QString &reason);
    void onSessionEnded(const QString &notice);
    void openWindow();
    void closeWindow();

    Options m_options;
    QSettings *m_settings;
    std::unique_ptr<Outbox> m_outbox;
    std::unique_ptr<Drafts> m_drafts;
    std::unique_ptr<TokenStore> m_tokens;
    std::unique_ptr<Connection> m_connection;
    std::unique_ptr<ChatSession> m_session;
    QPointer<LoginDialog> m_dialog;
    QPointer<ChatWindow> m_window;
    QPointer<Notifier> m_notifier;
    Phase m_phase = Phase::Idle;
    bool m_remember = false;
    bool m_tokenLogin = false;
    QUrl m_server;
    QString m_email;
};

} // namespace dpichat::ui
