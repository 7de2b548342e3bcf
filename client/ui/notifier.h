#pragma once

#include <QObject>
#include <QPointer>

class QMenu;
class QSettings;
class QSystemTrayIcon;

namespace dpichat {
struct Message;
}

namespace dpichat::ui {

class ChatWindow;

/// The tray icon (with the unread total) and desktop notifications for messages the user
/// cannot see now: in another thread, or while the window is inactive. Clicking a
/// notification opens its thread.
class Notifier : public QObject {
    Q_OBJECT
public:
    Notifier(ChatWindow *window, QSettings *settings, QObject *parent = nullptr);
    ~Notifier() override;

    /// Whether a message in `thread` would be notified now.
    bool shouldNotify(qint64 thread) const;
    QSystemTrayIcon *trayIcon() const { return m_tray; }
    qint64 lastNotifiedThread() const { return m_lastThread; }

public Q_SLOTS:
    /// Opens the thread of the last notification in the window.
    void openLastNotified();

Q_SIGNALS:
    /// A notification went out (also where no tray is available, for tests and logs).
    void notified(qint64 thread, const QString &title, const QString &body);

private:
    void onIncoming(const Message &message);
    void updateIcon();
    void showWindow();

    QPointer<ChatWindow> m_window;
    QSettings *m_settings;
    QSystemTrayIcon *m_tray = nullptr;
    QMenu *m_menu = nullptr;
    qint64 m_lastThread = 0;
};

} // namespace dpichat::ui
