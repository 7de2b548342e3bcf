#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace dpichat {
class Connection;
}

namespace dpichat::ui {

/// A strip above a chat saying the app is offline and when it will try again, with
/// "Reconnect now". Hidden while online.
class OfflineBanner : public QFrame {
    Q_OBJECT
public:
    explicit OfflineBanner(Connection *connection, QWidget *parent = nullptr);

    QString text() const;
    QPushButton *reconnectButton() const { return m_button; }

protected:
    void changeEvent(QEvent *event) override;

private:
    void update();

    Connection *m_connection;
    QLabel *m_label = nullptr;
    QPushButton *m_button = nullptr;
    int m_seconds = -1;
};

} // namespace dpichat::ui
