#pragma once

#include <QMainWindow>

class QAction;
class QMenu;
class QSettings;
class QVBoxLayout;

namespace dpichat {
class ChatSession;
class Drafts;
} // namespace dpichat

namespace dpichat::ui {

class ChatView;
class OfflineBanner;

/// What the admin inbox and the single-thread window share: the menus (Log out, Quit,
/// notification privacy), the offline banner and the thread on screen.
class ChatWindow : public QMainWindow {
    Q_OBJECT
public:
    /// Settings key: show only "New message" instead of the text in notifications.
    static QString hideTextKey() { return QStringLiteral("notifications/hideText"); }

    ChatWindow(
        ChatSession *session, Drafts *drafts, QSettings *settings, QWidget *parent = nullptr);
    ~ChatWindow() override;

    ChatSession *session() const { return m_session; }
    ChatView *chatView() const { return m_chat; }
    OfflineBanner *banner() const { return m_banner; }
    QAction *logoutAction() const { return m_logout; }
    QAction *hideTextAction() const { return m_hideText; }

    /// The thread the user can read now (0 when none is open).
    qint64 visibleThread() const;
    /// Brings a thread on screen (from a notification click).
    virtual void openThread(qint64 thread) = 0;

Q_SIGNALS:
    void logoutRequested();
    void quitRequested();

protected:
    /// Puts `content` under the offline banner as the central widget.
    void setContent(QWidget *content);
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    virtual void retranslate();

    ChatSession *m_session;
    Drafts *m_drafts;
    QSettings *m_settings;
    ChatView *m_chat = nullptr;

private:
    void saveGeometrySetting();

    OfflineBanner *m_banner = nullptr;
    QVBoxLayout *m_layout = nullptr;
    QMenu *m_fileMenu = nullptr;
    QMenu *m_settingsMenu = nullptr;
    QAction *m_logout = nullptr;
    QAction *m_quit = nullptr;
    QAction *m_hideText = nullptr;
    bool m_geometryRestored = false;
};

} // namespace dpichat::ui
