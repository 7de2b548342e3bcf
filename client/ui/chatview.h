#pragma once

#include "models/messagemodel.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QListView;
class QPushButton;

namespace dpichat {
class ChatSession;
class Drafts;
} // namespace dpichat

namespace dpichat::ui {

class Composer;
class MessageDelegate;

/// One conversation: the message list (a QListView over the session's MessageModel with
/// the bubble delegate), the typing line and the composer. Used by both windows.
/// Opens at the newest message, loads older pages when scrolled to the top, follows new
/// messages only when already at the bottom (otherwise offers "New messages"), and marks
/// the thread read only while it is on screen in the active window.
class ChatView : public QWidget {
    Q_OBJECT
public:
    /// `drafts` may be null (no drafts kept).
    ChatView(ChatSession *session, Drafts *drafts, QWidget *parent = nullptr);
    ~ChatView() override;

    /// Shows a thread (0: none). The draft of the previous thread is kept.
    void setThread(qint64 thread);
    qint64 thread() const { return m_thread; }
    MessageModel *model() const { return m_model; }

    QListView *listView() const { return m_list; }
    Composer *composer() const { return m_composer; }
    QLabel *typingLabel() const { return m_typing; }
    QPushButton *newMessagesButton() const { return m_newMessages; }
    bool isAtBottom() const;
    /// True when the thread is on screen and its window active (read receipts may go out).
    bool isSeenByUser() const;

public Q_SLOTS:
    void scrollToNewest();
    /// Marks the thread read if the user can see it now.
    void markReadIfSeen();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void onRowsAboutToBeInserted(const QModelIndex &parent, int first, int last);
    void onRowsInserted(const QModelIndex &parent, int first, int last);
    void onScrolled(int value);
    void onRangeChanged(int min, int max);
    void updateTypingLine();
    void placeNewMessagesButton();
    void showContextMenu(const QPoint &pos);
    void saveDraft();
    void retranslate();

    ChatSession *m_session;
    Drafts *m_drafts;
    qint64 m_thread = 0;
    QPointer<MessageModel> m_model;
    QListView *m_list = nullptr;
    MessageDelegate *m_delegate = nullptr;
    QLabel *m_typing = nullptr;
    QLabel *m_empty = nullptr;
    Composer *m_composer = nullptr;
    QPushButton *m_newMessages = nullptr;
    QPointer<QWidget> m_watchedWindow;
    bool m_stickToBottom = true;
    int m_anchorFromBottom = -1; ///< Keeps the view still while older history is prepended.
    int m_unseenBelow = 0;
};

} // namespace dpichat::ui
