#include "logindialog.h"

#include "appearance.h"
#include "icons.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace dpichat::ui {

LoginDialog::LoginDialog(QWidget *parent)
    : QDialog(parent)
    , m_title(new QLabel(this))
    , m_serverLabel(new QLabel(this))
    , m_emailLabel(new QLabel(this))
    , m_passwordLabel(new QLabel(this))
    , m_server(new QLineEdit(defaultServer(), this))
    , m_email(new QLineEdit(this))
    , m_password(new QLineEdit(this))
    , m_remember(new QCheckBox(this))
    , m_status(new QLabel(this))
    , m_buttons(new QDialogButtonBox(this))
{
    setObjectName(QStringLiteral("loginDialog"));
    setWindowIcon(icons::app());
    m_server->setObjectName(QStringLiteral("serverEdit"));
    m_email->setObjectName(QStringLiteral("emailEdit"));
    m_password->setObjectName(QStringLiteral("passwordEdit"));
    m_remember->setObjectName(QStringLiteral("rememberBox"));
    m_status->setObjectName(QStringLiteral("statusLabel"));
    m_email->setInputMethodHints(Qt::ImhEmailCharactersOnly | Qt::ImhNoAutoUppercase);
    m_server->setInputMethodHints(Qt::ImhUrlCharactersOnly | Qt::ImhNoAutoUppercase);
    m_password->setEchoMode(QLineEdit::Password);
    m_remember->setChecked(true);
    m_serverLabel->setBuddy(m_server);
    m_emailLabel->setBuddy(m_email);
    m_passwordLabel->setBuddy(m_password);

    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.4);
    titleFont.setBold(true);
    m_title->setFont(titleFont);

    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setVisible(false);

    m_login = m_buttons->addButton(QString(), QDialogButtonBox::AcceptRole);
    m_login->setObjectName(QStringLiteral("loginButton"));
    m_login->setDefault(true);
    m_quit = m_buttons->addButton(QString(), QDialogButtonBox::RejectRole);
    connect(m_login, &QPushButton::clicked, this, &LoginDialog::onLoginClicked);
    connect(m_quit, &QPushButton::clicked, this, &QDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(m_serverLabel, m_server);
    form->addRow(m_emailLabel, m_email);
    form->addRow(m_passwordLabel, m_password);
    form->addRow(QString(), m_remember);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addSpacing(fontMetrics().height() / 2);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    setMinimumWidth(fontMetrics().averageCharWidth() * 64);
    retranslate();
    m_email->setFocus();
}

void LoginDialog::setServer(const QString &server)
{
    m_server->setText(server);
}

void LoginDialog::setEmail(const QString &email)
{
    m_email->setText(email);
    if (!email.isEmpty())
        m_password->setFocus();
}

void LoginDialog::setRemember(bool remember)
{
    m_remember->setChecked(remember);
}

QUrl LoginDialog::server() const
{
    return QUrl::fromUserInput(m_server->text().trimmed());
}

QString LoginDialog::email() const
{
    return m_email->text().trimmed();
}

bool LoginDialog::remember() const
{
    return m_remember->isChecked();
}

void LoginDialog::setBusy(bool busy)
{
    m_busy = busy;
    for (QWidget *w : { static_cast<QWidget *>(m_server), static_cast<QWidget *>(m_email),
             static_cast<QWidget *>(m_password), static_cast<QWidget *>(m_remember) })
        w->setEnabled(!busy);
    m_login->setEnabled(!busy);
    retranslate();
    if (busy)
        setStatus(tr("Connecting to %1…").arg(server().toDisplayString()), false);
}

void LoginDialog::showError(const QString &sentence)
{
    setBusy(false);
    setStatus(sentence, true);
    m_password->selectAll();
    m_password->setFocus();
}

void LoginDialog::showRememberFailed(const QString &reason)
{
    m_busy = false;
    m_waitingToContinue = true;
    m_login->setEnabled(true);
    retranslate();
    QString text = tr("You are logged in, but DPI Chat could not remember you on this computer, "
                      "so you will need to log in again next time.");
    if (!reason.isEmpty())
        text += QLatin1Char(' ') + reason;
    setStatus(text, false);
    m_login->setFocus();
}

void LoginDialog::showNotice(const QString &sentence)
{
    setStatus(sentence, false);
}

QString LoginDialog::statusText() const
{
    return m_status->isVisible() ? m_status->text() : QString();
}

void LoginDialog::onLoginClicked()
{
    if (m_waitingToContinue) {
        accept();
        return;
    }
    if (m_busy)
        return;
    const QUrl url = server();
    const QString scheme = url.scheme();
    if (!url.isValid() || url.host().isEmpty()
        || (scheme != QLatin1String("ws") && scheme != QLatin1String("wss"))) {
        setStatus(
            tr("The server address must look like ws://host:port/ or wss://host:port/."), true);
        m_server->setFocus();
        return;
    }
    if (email().isEmpty() || !email().contains(QLatin1Char('@'))) {
        setStatus(tr("Please enter the email address of your account."), true);
        m_email->setFocus();
        return;
    }
    if (m_password->text().isEmpty()) {
        setStatus(tr("Please enter your password."), true);
        m_password->setFocus();
        return;
    }
    setBusy(true);
    Q_EMIT loginRequested(url, email(), m_password->text(), remember());
}

void LoginDialog::setStatus(const QString &text, bool error)
{
    m_statusIsError = error;
    m_status->setText(text);
    m_status->setVisible(!text.isEmpty());
    QPalette pal = palette();
    if (error)
        pal.setColor(QPalette::WindowText, errorColor(pal));
    m_status->setPalette(pal);
}

void LoginDialog::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    if (event->type() == QEvent::PaletteChange && m_status->isVisible())
        setStatus(m_status->text(), m_statusIsError);
    QDialog::changeEvent(event);
}

void LoginDialog::retranslate()
{
    setWindowTitle(tr("Log in – DPI Chat"));
    m_title->setText(tr("Log in to DPI Chat"));
    m_serverLabel->setText(tr("&Server:"));
    m_emailLabel->setText(tr("&Email:"));
    m_passwordLabel->setText(tr("&Password:"));
    m_email->setPlaceholderText(tr("you@example.com"));
    m_remember->setText(tr("&Remember me on this computer"));
    m_remember->setToolTip(
        tr("Keeps a session token (never your password) in the system keychain."));
    m_login->setText(
        m_waitingToContinue ? tr("&Continue") : (m_busy ? tr("Logging in…") : tr("&Log in")));
    m_quit->setText(tr("&Quit"));
}

} // namespace dpichat::ui
