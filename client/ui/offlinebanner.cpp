#include "offlinebanner.h"

#include "appearance.h"
#include "connection.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace dpichat::ui {

OfflineBanner::OfflineBanner(Connection *connection, QWidget *parent)
    : QFrame(parent)
    , m_connection(connection)
    , m_label(new QLabel(this))
    , m_button(new QPushButton(this))
{
    setObjectName(QStringLiteral("offlineBanner"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_label->setWordWrap(true);
    auto *layout = new QHBoxLayout(this);
    const int m = fontMetrics().height() / 3;
    layout->setContentsMargins(m * 2, m, m, m);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_button);
    connect(m_button, &QPushButton::clicked, m_connection, &Connection::reconnectNow);
    connect(m_connection, &Connection::stateChanged, this, [this] {
        m_seconds = m_connection->secondsUntilReconnect();
        update();
    });
    connect(m_connection, &Connection::reconnectCountdown, this, [this](int seconds) {
        m_seconds = seconds;
        update();
    });
    update();
}

QString OfflineBanner::text() const
{
    return m_label->text();
}

void OfflineBanner::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange || event->type() == QEvent::PaletteChange)
        update();
    QFrame::changeEvent(event);
}

void OfflineBanner::update()
{
    const auto state = m_connection->state();
    // Before the first login there is nothing to reconnect to; the login dialog speaks then.
    const bool show = state != Connection::State::Online && !m_connection->token().isEmpty();
    setVisible(show);
    if (!show)
        return;
    QPalette pal = palette();
    const QColor base = parentWidget() ? parentWidget()->palette().color(QPalette::Window)
                                       : pal.color(QPalette::Window);
    pal.setColor(QPalette::Window, mix(base, QColor(0xe0, 0xa0, 0x20), 0.35));
    setPalette(pal);
    if (state == Connection::State::Connecting) {
        m_label->setText(tr("Offline — connecting…"));
        m_button->setEnabled(false);
    } else if (m_seconds >= 0) {
        m_label->setText(tr("Offline — reconnecting in %n s", nullptr, m_seconds));
        m_button->setEnabled(true);
    } else {
        m_label->setText(tr("Offline"));
        m_button->setEnabled(true);
    }
    m_button->setText(tr("Reconnect now"));
}

} // namespace dpichat::ui
