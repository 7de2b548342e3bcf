#include "composer.h"

#include "protocol/limits.h"
#include "protocol/types.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include "appearance.h"

namespace dpichat::ui {

Composer::Composer(QWidget *parent)
    : QWidget(parent)
    , m_edit(new QPlainTextEdit(this))
    , m_counter(new QLabel(this))
    , m_send(new QPushButton(this))
    , m_maxChars(limits::kTextChars)
{
    m_edit->setObjectName(QStringLiteral("composerEdit"));
    m_edit->setTabChangesFocus(true);
    m_edit->installEventFilter(this);
    // About three lines high, growing no further: the message list keeps the space.
    const int lineHeight = m_edit->fontMetrics().lineSpacing();
    m_edit->setFixedHeight(
        lineHeight * 3 + 2 * m_edit->frameWidth() + int(m_edit->document()->documentMargin() * 2));

    m_counter->setObjectName(QStringLiteral("composerCounter"));
    m_counter->setVisible(false);
    m_counter->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    m_send->setObjectName(QStringLiteral("composerSend"));
    m_send->setDefault(false);
    m_send->setAutoDefault(false);

    auto *side = new QVBoxLayout;
    side->addStretch(1);
    side->addWidget(m_counter);
    side->addWidget(m_send);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addLayout(side);

    m_idle.setSingleShot(true);
    m_idle.setInterval(kTypingIdleMs);
    connect(&m_idle, &QTimer::timeout, this, &Composer::stopTyping);
    connect(m_edit, &QPlainTextEdit::textChanged, this, &Composer::onTextChanged);
    connect(m_send, &QPushButton::clicked, this, &Composer::submit);

    retranslate();
    updateState();
}

void Composer::setMaxChars(int maxChars)
{
    m_maxChars = maxChars > 0 ? maxChars : limits::kTextChars;
    updateState();
}

QString Composer::text() const
{
    return m_edit->toPlainText();
}

void Composer::setText(const QString &text)
{
    m_programmatic = true;
    m_edit->setPlainText(text);
    m_edit->moveCursor(QTextCursor::End);
    m_programmatic = false;
    updateState();
}

void Composer::clear()
{
    setText(QString());
}

bool Composer::canSend() const
{
    const QString trimmed = text().trimmed();
    return !trimmed.isEmpty() && codePointCount(trimmed) <= m_maxChars;
}

void Composer::submit()
{
    if (!canSend())
        return;
    const QString message = text().trimmed();
    stopTyping();
    clear();
    Q_EMIT textEdited(QString());
    Q_EMIT sendRequested(message);
}

bool Composer::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        const bool enter = key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter;
        if (enter && !(key->modifiers() & Qt::ShiftModifier)) {
            // An input method composing text keeps Enter for itself.
            submit();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void Composer::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    if (event->type() == QEvent::PaletteChange)
        updateState();
    QWidget::changeEvent(event);
}

void Composer::onTextChanged()
{
    updateState();
    if (m_programmatic)
        return;
    Q_EMIT textEdited(text());
    if (text().trimmed().isEmpty()) {
        stopTyping();
        return;
    }
    m_idle.start();
    if (!m_typing || !m_sinceTyping.isValid() || m_sinceTyping.elapsed() >= kTypingIntervalMs) {
        m_typing = true;
        m_sinceTyping.restart();
        Q_EMIT typingChanged(true);
    }
}

void Composer::stopTyping()
{
    m_idle.stop();
    if (!m_typing)
        return;
    m_typing = false;
    m_sinceTyping.invalidate();
    Q_EMIT typingChanged(false);
}

void Composer::updateState()
{
    const int count = codePointCount(text().trimmed());
    const int left = m_maxChars - count;
    const bool near = left <= kCounterMargin;
    m_counter->setVisible(near);
    if (near) {
        const QLocale locale;
        m_counter->setText(tr("%1 / %2").arg(locale.toString(count), locale.toString(m_maxChars)));
        QPalette pal = palette();
        if (left < 0)
            pal.setColor(QPalette::WindowText, errorColor(pal));
        m_counter->setPalette(pal);
        m_counter->setToolTip(left < 0
                ? tr("This message is %n character(s) too long.", nullptr, -left)
                : tr("%n character(s) left.", nullptr, left));
    }
    m_send->setEnabled(canSend());
}

void Composer::retranslate()
{
    m_edit->setPlaceholderText(tr("Write a message… (Enter sends, Shift+Enter for a new line)"));
    m_edit->setAccessibleName(tr("Message"));
    m_send->setText(tr("Send"));
    m_send->setToolTip(tr("Send the message (Enter)"));
    updateState();
}

} // namespace dpichat::ui
