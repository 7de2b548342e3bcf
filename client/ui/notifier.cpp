#include "notifier.h"

#include "chatsession.h"
#include "chatwindow.h"
#include "icons.h"
#include "models/threadmodel.h"

#include <QApplication>
#include <QMenu>
#include <QSettings>
#include <QSystemTrayIcon>

namespace dpichat::ui {

Notifier::Notifier(ChatWindow *window, QSettings *settings, QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_settings(settings)
    , m_tray(new QSystemTrayIcon(this))
    , m_menu(new QMenu)
{
    ChatSession *session = window->session();
    m_tray->setContextMenu(m_menu);
    m_menu->addAction(tr("&Open DPI Chat"), this, &Notifier::showWindow);
    m_menu->addSeparator();
    m_menu->addAction(tr("&Quit"), qApp, &QApplication::quit);

    connect(session, &ChatSession::incomingMessage, this, &Notifier::onIncoming);
    connect(session->threadModel(), &ThreadModel::unreadTotalChanged, this, &Notifier::updateIcon);
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, &Notifier::openLastNotified);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason r) {
        if (r == QSystemTrayIcon::Trigger || r == QSystemTrayIcon::DoubleClick)
            showWindow();
    });
    updateIcon();
    if (QSystemTrayIcon::isSystemTrayAvailable())
        m_tray->show();
}

Notifier::~Notifier()
{
    delete m_menu;
}

bool Notifier::shouldNotify(qint64 thread) const
{
    if (!m_window)
        return false;
    return !(m_window->isActiveWindow() && m_window->visibleThread() == thread);
}

void Notifier::onIncoming(const Message &message)
{
    if (!shouldNotify(message.thread))
        return;
    m_lastThread = message.thread;
    const bool hideText = m_settings && m_settings->value(ChatWindow::hideTextKey()).toBool();
    const QString title = message.senderName;
    QString body = hideText ? tr("New message") : message.text.simplified();
    if (body.size() > 200)
        body = body.left(199) + QChar(0x2026);
    if (QSystemTrayIcon::isSystemTrayAvailable() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, body, icons::app(), 8000);
    else if (m_window)
        QApplication::alert(m_window);
    Q_EMIT notified(message.thread, title, body);
}

void Notifier::openLastNotified()
{
    showWindow();
    if (m_window && m_lastThread != 0)
        m_window->openThread(m_lastThread);
}

void Notifier::showWindow()
{
    if (!m_window)
        return;
    if (m_window->isMinimized())
        m_window->showNormal();
    m_window->show();
    m_window->raise();
    m_window->activateWindow();
}

void Notifier::updateIcon()
{
    if (!m_window)
        return;
    const int unread = m_window->session()->threadModel()->unreadTotal();
    m_tray->setIcon(icons::app(unread));
    m_tray->setToolTip(
        unread > 0 ? tr("DPI Chat – %n unread message(s)", nullptr, unread) : tr("DPI Chat"));
}

} // namespace dpichat::ui
