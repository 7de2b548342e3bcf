#include "chatview.h"

#include "appearance.h"
#include "chatsession.h"
#include "composer.h"
#include "drafts.h"
#include "messagedelegate.h"
#include "models/messagemodel.h"

#include <QApplication>
#include <QClipboard>
#include <QEvent>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QTimer>
#include <QVBoxLayout>

namespace dpichat::ui {

ChatView::ChatView(ChatSession *session, Drafts *drafts, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_drafts(drafts)
    , m_list(new QListView(this))
    , m_delegate(new MessageDelegate(this))
    , m_typing(new QLabel(this))
    , m_empty(new QLabel(m_list->viewport()))
    , m_composer(new Composer(this))
    , m_newMessages(new QPushButton(this))
{
    setObjectName(QStringLiteral("chatView"));
    m_list->setObjectName(QStringLiteral("messageList"));
    m_list->setItemDelegate(m_delegate);
    m_list->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setResizeMode(QListView::Adjust);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setUniformItemSizes(false);
    m_list->setFrameShape(QFrame::NoFrame);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->verticalScrollBar()->setSingleStep(fontMetrics().height() * 2);

    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setAttribute(Qt::WA_TransparentForMouseEvents);

    m_typing->setObjectName(QStringLiteral("typingLabel"));
    QFont italic = m_typing->font();
    italic.setItalic(true);
    m_typing->setFont(italic);
    m_typing->setMinimumHeight(m_typing->fontMetrics().height());
    const int pad = fontMetrics().height() / 2;
    m_typing->setContentsMargins(pad, 0, pad, 0);

    m_newMessages->setObjectName(QStringLiteral("newMessagesButton"));
    m_newMessages->setVisible(false);
    m_newMessages->setCursor(Qt::PointingHandCursor);

    auto *composerBox = new QWidget(this);
    auto *composerLayout = new QVBoxLayout(composerBox);
    composerLayout->setContentsMargins(pad, pad / 2, pad, pad);
    composerLayout->addWidget(m_composer);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_typing);
    layout->addWidget(composerBox);

    connect(m_delegate, &MessageDelegate::retryRequested, this,
        [this](const QString &clientId) { m_session->retry(clientId); });
    connect(m_delegate, &MessageDelegate::discardRequested, this,
        [this](const QString &clientId) { m_session->discard(clientId); });
    connect(m_list, &QListView::customContextMenuRequested, this, &ChatView::showContextMenu);
    connect(m_list->verticalScrollBar(), &QScrollBar::valueChanged, this, &ChatView::onScrolled);
    connect(
        m_list->verticalScrollBar(), &QScrollBar::rangeChanged, this, &ChatView::onRangeChanged);
    connect(m_newMessages, &QPushButton::clicked, this, &ChatView::scrollToNewest);

    connect(m_composer, &Composer::sendRequested, this, [this](const QString &text) {
        if (m_thread == 0)
            return;
        m_stickToBottom = true;
        m_session->send(m_thread, text);
        scrollToNewest();
    });
    connect(m_composer, &Composer::typingChanged, this, [this](bool active) {
        if (m_thread != 0)
            m_session->setTyping(m_thread, active);
    });
    auto *draftTimer = new QTimer(this);
    draftTimer->setSingleShot(true);
    draftTimer->setInterval(500);
    connect(draftTimer, &QTimer::timeout, this, &ChatView::saveDraft);
    connect(m_composer, &Composer::textEdited, draftTimer, qOverload<>(&QTimer::start));

    connect(m_session, &ChatSession::typingChanged, this, [this](qint64 thread) {
        if (thread == m_thread)
            updateTypingLine();
    });
    connect(m_session, &ChatSession::historyLoaded, this,
        [this](qint64 thread, int count, bool hasMore) {
            if (thread != m_thread)
                return;
            // A short page may not fill the view, so no scroll to the top would ever
            // ask for more: keep loading until it does.
            QTimer::singleShot(0, this, [this, count, hasMore] {
                if (count == 0 || !hasMore || !m_list->isVisible())
                    return;
                m_list->doItemsLayout(); // the list lays out lazily; measure the real height
                if (m_list->verticalScrollBar()->maximum() == 0)
                    m_session->loadOlder(m_thread);
            });
        });

    m_composer->setEnabled(false);
    retranslate();
}

ChatView::~ChatView()
{
    saveDraft();
}

void ChatView::setThread(qint64 thread)
{
    if (thread == m_thread)
        return;
    saveDraft();
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_thread = thread;
    m_unseenBelow = 0;
    m_anchorFromBottom = -1;
    m_stickToBottom = true;
    m_newMessages->hide();
    m_model = thread ? m_session->modelFor(thread) : nullptr;
    m_list->setModel(m_model);
    m_composer->setEnabled(thread != 0);
    if (m_model) {
        connect(m_model, &QAbstractItemModel::rowsAboutToBeInserted, this,
            &ChatView::onRowsAboutToBeInserted);
        connect(m_model, &QAbstractItemModel::rowsInserted, this, &ChatView::onRowsInserted);
        connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] { retranslate(); });
        connect(m_model, &QAbstractItemModel::modelReset, this, [this] { retranslate(); });
        m_session->openThread(thread);
        m_composer->setMaxChars(m_session->connection()->textLimit());
        m_composer->setText(m_drafts ? m_drafts->draft(thread) : QString());
    } else {
        m_composer->clear();
    }
    updateTypingLine();
    retranslate();
    scrollToNewest();
    markReadIfSeen();
}

bool ChatView::isAtBottom() const
{
    const QScrollBar *bar = m_list->verticalScrollBar();
    return bar->value() >= bar->maximum() - fontMetrics().height();
}

bool ChatView::isSeenByUser() const
{
    const QWidget *win = window();
    return m_thread != 0 && isVisible() && win->isActiveWindow() && !win->isMinimized();
}

void ChatView::scrollToNewest()
{
    m_stickToBottom = true;
    m_unseenBelow = 0;
    m_newMessages->hide();
    m_list->scrollToBottom();
    // The list lays out lazily; once it has, onRangeChanged() keeps it at the bottom.
    QTimer::singleShot(0, this, [this] {
        if (m_stickToBottom)
            m_list->scrollToBottom();
    });
}

void ChatView::markReadIfSeen()
{
    if (m_model && m_model->rowCount() > 0 && isSeenByUser())
        m_session->markRead(m_thread);
}

void ChatView::onRowsAboutToBeInserted(const QModelIndex &, int first, int)
{
    if (first == 0 && m_model->rowCount() > 0 && !m_stickToBottom) {
        const QScrollBar *bar = m_list->verticalScrollBar();
        m_anchorFromBottom = bar->maximum() - bar->value();
    }
}

void ChatView::onRowsInserted(const QModelIndex &, int first, int last)
{
    retranslate(); // the empty-thread hint
    if (last == m_model->rowCount() - 1 && first > 0) {
        bool ownOnly = true;
        int others = 0;
        for (int row = first; row <= last; ++row) {
            if (!m_model->index(row).data(MessageModel::IsOwnRole).toBool()) {
                ownOnly = false;
                ++others;
            }
        }
        if (!m_stickToBottom && !ownOnly) {
            m_unseenBelow += others;
            m_newMessages->setText(tr("%n new message(s) ↓", nullptr, m_unseenBelow));
            m_newMessages->adjustSize();
            placeNewMessagesButton();
            m_newMessages->show();
            m_newMessages->raise();
        } else if (m_stickToBottom || ownOnly) {
            scrollToNewest();
        }
    }
    markReadIfSeen();
}

void ChatView::onScrolled(int value)
{
    const QScrollBar *bar = m_list->verticalScrollBar();
    m_stickToBottom = isAtBottom();
    if (m_stickToBottom && m_newMessages->isVisible()) {
        m_unseenBelow = 0;
        m_newMessages->hide();
    }
    if (m_model && value <= bar->minimum() + fontMetrics().height() * 2
        && bar->maximum() > bar->minimum() && m_model->hasMoreHistory())
        m_session->loadOlder(m_thread);
}

void ChatView::onRangeChanged(int, int max)
{
    QScrollBar *bar = m_list->verticalScrollBar();
    if (m_anchorFromBottom >= 0) {
        const int anchor = m_anchorFromBottom;
        m_anchorFromBottom = -1;
        bar->setValue(max - anchor);
    } else if (m_stickToBottom) {
        bar->setValue(max);
    }
}

void ChatView::updateTypingLine()
{
    const QStringList names = m_thread ? m_session->typingUsers(m_thread) : QStringList();
    QString text;
    if (names.size() == 1)
        text = tr("%1 is typing…").arg(names.at(0));
    else if (names.size() == 2)
        text = tr("%1 and %2 are typing…").arg(names.at(0), names.at(1));
    else if (names.size() > 2)
        text = tr("Several people are typing…");
    m_typing->setText(text);
}

void ChatView::placeNewMessagesButton()
{
    const QRect list = m_list->geometry();
    const int m = fontMetrics().height() / 2;
    const QSize s = m_newMessages->sizeHint();
    const int scrollBar
        = m_list->verticalScrollBar()->isVisible() ? m_list->verticalScrollBar()->width() : 0;
    m_newMessages->setGeometry(list.right() - scrollBar - m - s.width(),
        list.bottom() - m - s.height(), s.width(), s.height());
}

void ChatView::showContextMenu(const QPoint &pos)
{
    // From the keyboard's menu key the position says nothing: use the current message.
    QModelIndex index = m_list->indexAt(pos);
    if (!index.isValid())
        index = m_list->currentIndex();
    if (!index.isValid())
        return;
    QMenu menu(this);
    const QString text = index.data(MessageModel::TextRole).toString();
    menu.addAction(tr("&Copy text"), this, [text] { QApplication::clipboard()->setText(text); });
    if (index.data(MessageModel::StateRole).toInt() == MessageModel::Failed) {
        const QString clientId = index.data(MessageModel::ClientIdRole).toString();
        menu.addSeparator();
        menu.addAction(tr("&Retry"), this, [this, clientId] { m_session->retry(clientId); });
        menu.addAction(tr("&Discard"), this, [this, clientId] { m_session->discard(clientId); });
    }
    menu.exec(m_list->viewport()->mapToGlobal(pos));
}

void ChatView::saveDraft()
{
    if (m_drafts && m_thread != 0)
        m_drafts->setDraft(m_thread, m_composer->text());
}

bool ChatView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_watchedWindow && event->type() == QEvent::WindowActivate)
        QTimer::singleShot(0, this, &ChatView::markReadIfSeen);
    return QWidget::eventFilter(watched, event);
}

void ChatView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslate();
        updateTypingLine();
    } else if (event->type() == QEvent::FontChange) {
        m_delegate->clearCache();
    }
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange)
        retranslate();
    QWidget::changeEvent(event);
}

void ChatView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    placeNewMessagesButton();
    m_empty->setGeometry(m_list->viewport()->rect());
}

void ChatView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_watchedWindow != window()) {
        if (m_watchedWindow)
            m_watchedWindow->removeEventFilter(this);
        m_watchedWindow = window();
        m_watchedWindow->installEventFilter(this);
    }
    m_empty->setGeometry(m_list->viewport()->rect());
    QTimer::singleShot(0, this, &ChatView::markReadIfSeen);
}

void ChatView::retranslate()
{
    QPalette pal = m_typing->palette();
    pal.setColor(QPalette::WindowText,
        mix(palette().color(QPalette::WindowText), palette().color(QPalette::Window), 0.35));
    m_typing->setPalette(pal);
    m_empty->setPalette(pal);
    m_list->setAccessibleName(tr("Messages"));
    const bool empty = m_thread != 0 && m_model && m_model->rowCount() == 0;
    m_empty->setText(empty ? tr("No messages yet.\nWrite the first one below.") : QString());
    m_empty->setVisible(empty);
}

} // namespace dpichat::ui
