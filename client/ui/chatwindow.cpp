#include "chatwindow.h"

#include "chatsession.h"
#include "chatview.h"
#include "icons.h"
#include "offlinebanner.h"

#include <QAction>
#include <QEvent>
#include <QMenuBar>
#include <QSettings>
#include <QStatusBar>
#include <QVBoxLayout>

namespace dpichat::ui {

ChatWindow::ChatWindow(ChatSession *session, Drafts *drafts, QSettings *settings, QWidget *parent)
    : QMainWindow(parent)
    , m_session(session)
    , m_drafts(drafts)
    , m_settings(settings)
    , m_chat(new ChatView(session, drafts))
{
    setWindowIcon(icons::app());
    auto *central = new QWidget(this);
    m_layout = new QVBoxLayout(central);
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(0);
    m_banner = new OfflineBanner(session->connection(), central);
    m_layout->addWidget(m_banner);
    setCentralWidget(central);

    m_fileMenu = menuBar()->addMenu(QString());
    m_logout = m_fileMenu->addAction(QString(), this, &ChatWindow::logoutRequested);
    m_logout->setObjectName(QStringLiteral("logoutAction"));
    m_fileMenu->addSeparator();
    m_quit = m_fileMenu->addAction(QString(), this, &ChatWindow::quitRequested);
    m_quit->setShortcut(QKeySequence::Quit);

    m_settingsMenu = menuBar()->addMenu(QString());
    m_hideText = m_settingsMenu->addAction(QString());
    m_hideText->setCheckable(true);
    m_hideText->setChecked(m_settings && m_settings->value(hideTextKey(), false).toBool());
    connect(m_hideText, &QAction::toggled, this, [this](bool on) {
        if (m_settings)
            m_settings->setValue(hideTextKey(), on);
    });

    // The outbox could not write: say so where it stays visible until the next event.
    connect(session, &ChatSession::storageError, this,
        [this](const QString &reason) { statusBar()->showMessage(reason); });

    const QFontMetrics fm(font());
    resize(fm.averageCharWidth() * 110, fm.height() * 38);
    setMinimumSize(qMin(800, fm.averageCharWidth() * 70), qMin(600, fm.height() * 22));
}

qint64 ChatWindow::visibleThread() const
{
    return m_chat->isVisible() ? m_chat->thread() : 0;
}

void ChatWindow::setContent(QWidget *content)
{
    m_layout->addWidget(content, 1);
}

void ChatWindow::showEvent(QShowEvent *event)
{
    // Each kind of window comes back where the user left it.
    if (!m_geometryRestored && m_settings) {
        m_geometryRestored = true;
        const QByteArray geometry
            = m_settings->value(QStringLiteral("geometry/") + objectName()).toByteArray();
        if (!geometry.isEmpty())
            restoreGeometry(geometry);
    }
    QMainWindow::showEvent(event);
}

ChatWindow::~ChatWindow()
{
    if (isVisible()) // quitting from the menu deletes the window without hiding it first
        saveGeometrySetting();
}

void ChatWindow::saveGeometrySetting()
{
    if (m_settings && m_geometryRestored)
        m_settings->setValue(QStringLiteral("geometry/") + objectName(), saveGeometry());
}

void ChatWindow::hideEvent(QHideEvent *event)
{
    // Closing and logging out hide the window first.
    saveGeometrySetting();
    QMainWindow::hideEvent(event);
}

void ChatWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QMainWindow::changeEvent(event);
}

void ChatWindow::retranslate()
{
    m_fileMenu->setTitle(tr("&Chat"));
    m_logout->setText(tr("&Log out"));
    m_logout->setToolTip(tr("End this session and forget the login on this computer"));
    m_quit->setText(tr("&Quit"));
    m_settingsMenu->setTitle(tr("&Settings"));
    m_hideText->setText(tr("&Hide message text in notifications"));
}

} // namespace dpichat::ui
