#pragma once

#include "chatwindow.h"

class QLabel;
class QLineEdit;
class QListView;
class QStackedWidget;

namespace dpichat {
class ThreadFilterModel;
}

namespace dpichat::ui {

/// The support team's inbox: every customer's and member's thread on the left (filterable,
/// most recent first, unread badges, presence), the open conversation on the right. The
/// window title carries the unread total.
class AdminWindow : public ChatWindow {
    Q_OBJECT
public:
    AdminWindow(
        ChatSession *session, Drafts *drafts, QSettings *settings, QWidget *parent = nullptr);

    void openThread(qint64 thread) override;

    QLineEdit *filterEdit() const { return m_filter; }
    QListView *threadList() const { return m_list; }
    ThreadFilterModel *filterModel() const { return m_proxy; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void retranslate() override;

private:
    void openIndex(const QModelIndex &proxyIndex);
    void updateHeader();
    void updateTitle();

    ThreadFilterModel *m_proxy = nullptr;
    QLineEdit *m_filter = nullptr;
    QListView *m_list = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_placeholder = nullptr;
    QLabel *m_name = nullptr;
    QLabel *m_details = nullptr;
};

} // namespace dpichat::ui
