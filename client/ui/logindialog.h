#pragma once

#include <QDialog>
#include <QUrl>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace dpichat::ui {

/// Asks for the server address, email and password, with "Remember me". The dialog does not
/// talk to the network: it emits loginRequested() and is told how the attempt went.
class LoginDialog : public QDialog {
    Q_OBJECT
public:
    static QString defaultServer() { return QStringLiteral("ws://127.0.0.1:8787/"); }

    explicit LoginDialog(QWidget *parent = nullptr);

    void setServer(const QString &server);
    void setEmail(const QString &email);
    void setRemember(bool remember);
    QUrl server() const;
    QString email() const;
    bool remember() const;

    /// While a login is under way the fields are read-only and the button says so.
    void setBusy(bool busy);
    /// A sentence saying why the login did not succeed; the password field gets the focus.
    void showError(const QString &sentence);
    /// Logged in, but the session could not be remembered: says so and waits for "Continue".
    void showRememberFailed(const QString &reason);
    /// An informational line (e.g. "Your session has ended. Please log in again.").
    void showNotice(const QString &sentence);
    QString statusText() const;

    QLineEdit *serverEdit() const { return m_server; }
    QLineEdit *emailEdit() const { return m_email; }
    QLineEdit *passwordEdit() const { return m_password; }
    QCheckBox *rememberBox() const { return m_remember; }
    QPushButton *loginButton() const { return m_login; }

Q_SIGNALS:
    void loginRequested(
        const QUrl &server, const QString &email, const QString &password, bool remember);

protected:
    void changeEvent(QEvent *event) override;

private:
    void onLoginClicked();
    void retranslate();
    void setStatus(const QString &text, bool error);

    QLabel *m_title = nullptr;
    QLabel *m_serverLabel = nullptr;
    QLabel *m_emailLabel = nullptr;
    QLabel *m_passwordLabel = nullptr;
    QLineEdit *m_server = nullptr;
    QLineEdit *m_email = nullptr;
    QLineEdit *m_password = nullptr;
    QCheckBox *m_remember = nullptr;
    QLabel *m_status = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QPushButton *m_login = nullptr;
    QPushButton *m_quit = nullptr;
    bool m_busy = false;
    bool m_waitingToContinue = false;
    bool m_statusIsError = false;
};

} // namespace dpichat::ui
