#include "adminwindow.h"

#include "appearance.h"
#include "chatsession.h"
#include "chatview.h"
#include "composer.h"
#include "models/threadmodel.h"
#include "threaddelegate.h"

#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace dpichat::ui {

AdminWindow::AdminWindow(ChatSession *session, Drafts *drafts, QSettings *settings, QWidget *parent)
    : ChatWindow(session, drafts, settings, parent)
    , m_proxy(new ThreadFilterModel(this))
{
    setObjectName(QStringLiteral("adminWindow"));
    ThreadModel *threads = session->threadModel();
    m_proxy->setSourceModel(threads);

    const int em = fontMetrics().height();
    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(em / 2, em / 2, 0, em / 2);
    leftLayout->setSpacing(em / 3);
    m_filter = new QLineEdit(left);
    m_filter->setObjectName(QStringLiteral("threadFilter"));
    m_filter->setClearButtonEnabled(true);
    m_filter->installEventFilter(this);
    m_list = new QListView(left);
    m_list->setObjectName(QStringLiteral("threadList"));
    m_list->setModel(m_proxy);
    m_list->setItemDelegate(new ThreadDelegate(m_list));
    m_list->setUniformItemSizes(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_list->installEventFilter(this);
    leftLayout->addWidget(m_filter);
    leftLayout->addWidget(m_list, 1);
    left->setMinimumWidth(fontMetrics().averageCharWidth() * 30);

    auto *conversation = new QWidget;
    auto *convLayout = new QVBoxLayout(conversation);
    convLayout->setContentsMargins(0, 0, 0, 0);
    convLayout->setSpacing(0);
    auto *header = new QWidget(conversation);
    auto *headerLayout = new QVBoxLayout(header);
    headerLayout->setContentsMargins(em, em / 2, em, em / 2);
    headerLayout->setSpacing(0);
    m_name = new QLabel(header);
    m_name->setObjectName(QStringLiteral("threadName"));
    QFont bold = m_name->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.15);
    m_name->setFont(bold);
    m_details = new QLabel(header);
    m_details->setObjectName(QStringLiteral("threadDetails"));
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    headerLayout->addWidget(m_name);
    headerLayout->addWidget(m_details);
    convLayout->addWidget(header);
    convLayout->addWidget(m_chat, 1);

    m_placeholder = new QLabel;
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_stack = new QStackedWidget;
    m_stack->addWidget(m_placeholder);
    m_stack->addWidget(conversation);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(left);
    splitter->addWidget(m_stack);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    splitter->setSizes(
        { fontMetrics().averageCharWidth() * 44, fontMetrics().averageCharWidth() * 80 });
    setContent(splitter);

    auto *focusFilter = new QShortcut(QKeySequence(tr("Ctrl+K")), this);
    connect(focusFilter, &QShortcut::activated, this, [this] {
        m_filter->setFocus(Qt::ShortcutFocusReason);
        m_filter->selectAll();
    });
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterText(text);
        if (!m_list->currentIndex().isValid() && m_proxy->rowCount() > 0)
            m_list->setCurrentIndex(m_proxy->index(0, 0));
    });
    connect(m_filter, &QLineEdit::returnPressed, this, [this] {
        const QModelIndex current
            = m_list->currentIndex().isValid() ? m_list->currentIndex() : m_proxy->index(0, 0);
        if (current.isValid())
            openIndex(current);
    });
    connect(m_list, &QListView::clicked, this, &AdminWindow::openIndex);
    connect(m_list, &QListView::activated, this, &AdminWindow::openIndex);
    connect(threads, &ThreadModel::unreadTotalChanged, this, &AdminWindow::updateTitle);
    connect(threads, &QAbstractItemModel::dataChanged, this, &AdminWindow::updateHeader);
    connect(threads, &QAbstractItemModel::modelReset, this, &AdminWindow::updateHeader);

    retranslate();
}

void AdminWindow::openThread(qint64 thread)
{
    const int row = m_session->threadModel()->rowForThread(thread);
    if (row < 0)
        return;
    QModelIndex index = m_proxy->mapFromSource(m_session->threadModel()->index(row));
    if (!index.isValid()) { // hidden by the filter: show everything again
        m_filter->clear();
        index = m_proxy->mapFromSource(m_session->threadModel()->index(row));
    }
    openIndex(index);
}

void AdminWindow::openIndex(const QModelIndex &proxyIndex)
{
    if (!proxyIndex.isValid())
        return;
    m_list->setCurrentIndex(proxyIndex);
    m_stack->setCurrentIndex(1);
    m_chat->setThread(proxyIndex.data(ThreadModel::ThreadIdRole).toLongLong());
    updateHeader();
    m_chat->composer()->setFocus();
}

bool AdminWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        // Up/Down in the filter move through the list, so the keyboard never has to leave it.
        if (watched == m_filter && (key->key() == Qt::Key_Down || key->key() == Qt::Key_Up)) {
            const int rows = m_proxy->rowCount();
            if (rows > 0) {
                int row = m_list->currentIndex().isValid() ? m_list->currentIndex().row() : -1;
                row = qBound(0, row + (key->key() == Qt::Key_Down ? 1 : -1), rows - 1);
                m_list->setCurrentIndex(m_proxy->index(row, 0));
            }
            return true;
        }
        if (watched == m_list && (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter)) {
            openIndex(m_list->currentIndex());
            return true;
        }
    }
    return ChatWindow::eventFilter(watched, event);
}

void AdminWindow::updateHeader()
{
    const auto thread = m_session->threadModel()->thread(m_chat->thread());
    if (!thread) {
        m_name->clear();
        m_details->clear();
        return;
    }
    const User &owner = thread->owner;
    m_name->setText(owner.name);
    QString presence;
    if (owner.online)
        presence = tr("Online");
    else if (owner.lastSeen)
        presence = tr("Last seen %1").arg(dateTimeText(owner.lastSeen->toLocalTime()));
    else
        presence = tr("Offline");
    m_details->setText(
        tr("%1 · %2 · %3")
            .arg(ThreadDelegate::roleLabel(roleName(owner.role)), owner.email, presence));
}

void AdminWindow::updateTitle()
{
    const int unread = m_session->threadModel()->unreadTotal();
    setWindowTitle(unread > 0 ? tr("(%1) Inbox – DPI Chat").arg(QLocale().toString(unread))
                              : tr("Inbox – DPI Chat"));
}

void AdminWindow::retranslate()
{
    ChatWindow::retranslate();
    m_filter->setPlaceholderText(tr("Filter by name or email (Ctrl+K)"));
    m_filter->setAccessibleName(tr("Filter conversations"));
    m_list->setAccessibleName(tr("Conversations"));
    m_placeholder->setText(tr("Choose a conversation on the left.\n"
                              "Ctrl+K filters, Up and Down move, Enter opens."));
    updateTitle();
    updateHeader();
}

} // namespace dpichat::ui
