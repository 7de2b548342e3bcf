#include "bulkinserter.h"

#include <QSqlError>

using namespace Qt::StringLiterals;

namespace dpichat::bigdata {

BulkInserter::BulkInserter(QSqlDatabase db, QString table, QStringList columns,
                           int rowsPerStatement)
    : m_db(std::move(db))
    , m_table(std::move(table))
    , m_columns(std::move(columns))
    , m_rowsPerStatement(rowsPerStatement)
    , m_full(m_db)
{
    m_pending.reserve(m_columns.size() * m_rowsPerStatement);
    if (!m_full.prepare(statementFor(m_rowsPerStatement)))
        m_error = m_full.lastError().text();
}

QString BulkInserter::statementFor(int rows) const
{
    QString placeholders = u"("_s;
    for (qsizetype c = 0; c < m_columns.size(); ++c)
        placeholders += c == 0 ? u"?"_s : u", ?"_s;
    placeholders += u")"_s;
    QStringList values;
    values.reserve(rows);
    for (int r = 0; r < rows; ++r)
        values.append(placeholders);
    return u"INSERT INTO %1 (%2) VALUES %3"_s.arg(m_table, m_columns.join(u", "_s),
                                                   values.join(u", "_s));
}

bool BulkInserter::run(QSqlQuery &q)
{
    for (const QVariant &v : std::as_const(m_pending))
        q.addBindValue(v);
    if (!q.exec()) {
        // The first line only: PostgreSQL's DETAIL lines quote the row.
        m_error = u"insert into %1: %2"_s.arg(
                m_table, q.lastError().databaseText().section(u'\n', 0, 0));
        return false;
    }
    q.finish();
    m_pending.clear();
    return true;
}

bool BulkInserter::add(const QVariantList &row)
{
    if (!m_error.isEmpty())
        return false;
    m_pending.append(row);
    ++m_rows;
    if (m_pending.size() < m_columns.size() * m_rowsPerStatement)
        return true;
    return run(m_full);
}

bool BulkInserter::flush()
{
    if (!m_error.isEmpty())
        return false;
    if (m_pending.isEmpty())
        return true;
    QSqlQuery tail(m_db);
    if (!tail.prepare(statementFor(int(m_pending.size() / m_columns.size())))) {
        m_error = tail.lastError().text();
        return false;
    }
    return run(tail);
}

} // namespace dpichat::bigdata
