#include "dataset.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace dpichat::bigdata {

namespace {
constexpr int kConcurrentConversations = 24;
constexpr double kMeanConversation = 8.0;
constexpr double kEmptyThreads = 0.03; // New users who have not written yet.
constexpr qint64 kYearMs = 365LL * 24 * 3600 * 1000;
} // namespace

Dataset Dataset::plan(int users, int admins, qint64 messages, std::mt19937_64 &rng)
{
    Dataset d;
    d.users = users;
    d.admins = admins;
    d.messages = messages;
    const int threads = d.threads();
    std::uniform_real_distribution<double> unit(0, 1);

    // Ranks 1..active get weight 1/rank; the empty threads get none.
    const int active = std::max(1, int(std::lround(threads * (1.0 - kEmptyThreads))));
    double total = 0;
    for (int r = 1; r <= active; ++r)
        total += 1.0 / r;
    QList<qint32> byRank(threads, 0);
    qint64 assigned = 0;
    for (int r = 1; r <= active; ++r) {
        byRank[r - 1] = qint32(std::floor(double(messages) / r / total));
        assigned += byRank[r - 1];
    }
    // What flooring left over, one each from the longest down (and round again if needed).
    for (int r = 0; assigned < messages; r = (r + 1) % active, ++assigned)
        ++byRank[r];
    std::shuffle(byRank.begin(), byRank.end(), rng);
    d.threadLength = byRank;

    // Admin 0 leads and answers about twice the share of each other admin.
    d.primaryAdmin.resize(threads);
    std::discrete_distribution<int> pick = [admins] {
        std::vector<double> w(size_t(admins), 1.0);
        w[0] = 2.0;
        return std::discrete_distribution<int>(w.begin(), w.end());
    }();
    for (int t = 0; t < threads; ++t)
        d.primaryAdmin[t] = pick(rng);
    return d;
}

MessageStream::MessageStream(const Dataset &dataset, qint64 endMs, std::mt19937_64 &rng)
    : m_dataset(dataset)
    , m_rng(rng)
{
    std::geometric_distribution<int> extra(1.0 / kMeanConversation);
    for (int t = 0; t < dataset.threads(); ++t) {
        qint32 left = dataset.threadLength.at(t);
        while (left > 0) {
            const qint32 len = std::min<qint32>(left, 1 + extra(m_rng));
            m_queue.append({t, len});
            left -= len;
        }
    }
    std::shuffle(m_queue.begin(), m_queue.end(), m_rng);
    m_meanGapMs = std::max(1.0, double(kYearMs) / double(std::max<qint64>(1, dataset.messages)));
    // A day to spare, so that the last message (the sum of random gaps) stays in the past.
    m_startMs = endMs - kYearMs - 24LL * 3600 * 1000;
    m_clockMs = m_startMs;
    for (int i = 0; i < kConcurrentConversations; ++i) {
        Conversation c;
        if (refill(c))
            m_active.append(c);
    }
}

bool MessageStream::refill(Conversation &c)
{
    if (m_queued >= m_queue.size())
        return false;
    const auto [thread, length] = m_queue.at(m_queued++);
    c.threadIndex = thread;
    c.left = length;
    // Most conversations start with the customer asking.
    c.ownerTurn = std::uniform_real_distribution<double>(0, 1)(m_rng) < 0.8;
    c.turnLeft = 1 + std::geometric_distribution<int>(0.55)(m_rng);
    return true;
}

bool MessageStream::next(PlannedMessage &out)
{
    if (m_active.isEmpty())
        return false;
    const qsizetype slot = std::uniform_int_distribution<qsizetype>(0, m_active.size() - 1)(m_rng);
    Conversation &c = m_active[slot];

    std::uniform_real_distribution<double> unit(0, 1);
    out.id = m_nextId++;
    out.threadIndex = c.threadIndex;
    if (c.ownerTurn) {
        out.sender = m_dataset.ownerOf(c.threadIndex);
    } else {
        // Now and then another admin than the thread's usual one answers.
        int admin = m_dataset.primaryAdmin.at(c.threadIndex);
        if (m_dataset.admins > 1 && unit(m_rng) < 0.15)
            admin = std::uniform_int_distribution<int>(0, m_dataset.admins - 1)(m_rng);
        out.sender = Dataset::adminId(admin);
    }
    m_clockMs += 1 + qint64(std::exponential_distribution<double>(1.0 / m_meanGapMs)(m_rng));
    out.createdAtMs = m_clockMs;

    if (--c.turnLeft <= 0) {
        c.ownerTurn = !c.ownerTurn;
        c.turnLeft = 1 + std::geometric_distribution<int>(0.55)(m_rng);
    }
    if (--c.left <= 0 && !refill(c))
        m_active.removeAt(slot);
    return true;
}

QString messageBody(std::mt19937_64 &rng)
{
    static const QStringList words = QStringLiteral(
            "hello hi thanks thank you please could can I we my our your the a an to of in on "
            "for with about order invoice account login password reset email address payment "
            "card refund delivery package tracking number week today tomorrow yesterday "
            "problem issue error message screen app update version install phone laptop "
            "works does not doesn't still again sorry understand check checked look looking "
            "into it this that there here when where why how what which is are was were be "
            "been have has had will would should let me know help support team ticket "
            "customer service subscription plan upgrade downgrade cancel renew price discount "
            "code coupon shipping return exchange size colour item items stock available "
            "soon minutes hours days great perfect fine okay sure yes no maybe just also "
            "attached screenshot file link page settings profile name change changed new old "
            "same different right wrong fixed fix restart logout browser cache cookies and "
            "but or so because if then now already yet best regards cheers")
            .split(u' ');
    std::uniform_int_distribution<qsizetype> word(0, words.size() - 1);
    std::uniform_real_distribution<double> unit(0, 1);
    // Mostly a line of a few words; now and then a long explanation.
    int count = 1 + std::geometric_distribution<int>(1.0 / 11)(rng);
    if (unit(rng) < 0.01)
        count = 100 + std::uniform_int_distribution<int>(0, 500)(rng);
    count = std::min(count, 600);
    QString text;
    text.reserve(count * 7);
    for (int i = 0; i < count; ++i) {
        if (i > 0)
            text += u' ';
        text += words.at(word(rng));
    }
    if (!text.isEmpty())
        text[0] = text.at(0).toUpper();
    text += unit(rng) < 0.2 ? u'?' : u'.';
    return text;
}

} // namespace dpichat::bigdata
