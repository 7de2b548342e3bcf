#include "customerwindow.h"

#include "chatsession.h"
#include "chatview.h"
#include "composer.h"
#include "icons.h"
#include "models/threadmodel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QVBoxLayout>

namespace dpichat::ui {

CustomerWindow::CustomerWindow(
    ChatSession *session, Drafts *drafts, QSettings *settings, QWidget *parent)
    : ChatWindow(session, drafts, settings, parent)
{
    setObjectName(QStringLiteral("customerWindow"));
    const int em = fontMetrics().height();
    auto *content = new QWidget;
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    auto *header = new QWidget(content);
    auto *headerLayout = new QHBoxLayout(header);
    headerLayout->setContentsMargins(em, em / 2, em, em / 2);
    m_dot = new QLabel(header);
    auto *texts = new QVBoxLayout;
    texts->setSpacing(0);
    m_title = new QLabel(header);
    QFont bold = m_title->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.15);
    m_title->setFont(bold);
    m_status = new QLabel(header);
    m_status->setObjectName(QStringLiteral("teamStatus"));
    texts->addWidget(m_title);
    texts->addWidget(m_status);
    headerLayout->addWidget(m_dot);
    headerLayout->addLayout(texts, 1);
    layout->addWidget(header);
    layout->addWidget(m_chat, 1);
    setContent(content);

    const QFontMetrics fm(font());
    resize(fm.averageCharWidth() * 80, fm.height() * 36);

    connect(session, &ChatSession::teamOnlineChanged, this, &CustomerWindow::updateStatus);
    ThreadModel *threads = session->threadModel();
    connect(threads, &QAbstractItemModel::modelReset, this, &CustomerWindow::attachThread);
    connect(threads, &QAbstractItemModel::rowsInserted, this, &CustomerWindow::attachThread);
    connect(threads, &ThreadModel::unreadTotalChanged, this, &CustomerWindow::retranslate);
    attachThread();
    retranslate();
}

void CustomerWindow::openThread(qint64)
{
    m_chat->composer()->setFocus();
}

void CustomerWindow::attachThread()
{
    const qint64 own = m_session->ownThreadId();
    if (own != 0 && m_chat->thread() != own) {
        m_chat->setThread(own);
        m_chat->composer()->setFocus();
    }
}

QString CustomerWindow::teamName() const
{
    return m_session->localUser().role == Role::Member ? tr("Admin team") : tr("Support team");
}

void CustomerWindow::updateStatus()
{
    const bool online = m_session->teamOnline();
    m_status->setText(online ? tr("Someone from the team is online")
                             : tr("Nobody from the team is online right now; "
                                  "we will answer as soon as we are back"));
    const int d = fontMetrics().height();
    QPixmap dot(d * devicePixelRatio(), d * devicePixelRatio());
    dot.setDevicePixelRatio(devicePixelRatio());
    dot.fill(Qt::transparent);
    QPainter painter(&dot);
    icons::paintPresenceDot(
        &painter, QRectF(1, 1, d - 2, d - 2), online, palette().color(QPalette::Window));
    painter.end();
    m_dot->setPixmap(dot);
}

void CustomerWindow::retranslate()
{
    ChatWindow::retranslate();
    const int unread = m_session->threadModel()->unreadTotal();
    setWindowTitle(unread > 0 ? tr("(%1) %2 – DPI Chat").arg(QLocale().toString(unread), teamName())
                              : tr("%1 – DPI Chat").arg(teamName()));
    m_title->setText(teamName());
    updateStatus();
}

} // namespace dpichat::ui
