#pragma once

#include "chatwindow.h"

class QLabel;

namespace dpichat::ui {

/// The window of a customer or member: their one thread with the support team, with a line
/// saying whether anyone on the team is online.
class CustomerWindow : public ChatWindow {
    Q_OBJECT
public:
    CustomerWindow(
        ChatSession *session, Drafts *drafts, QSettings *settings, QWidget *parent = nullptr);

    void openThread(qint64 thread) override;
    QLabel *teamStatusLabel() const { return m_status; }

protected:
    void retranslate() override;

private:
    void attachThread();
    void updateStatus();
    QString teamName() const;

    QLabel *m_title = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_dot = nullptr;
};

} // namespace dpichat::ui
