#pragma once

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStringList>
#include <QVariant>

namespace dpichat::bigdata {

/// Inserts rows into one table through a prepared multi-row INSERT: one statement (and on
/// PostgreSQL one round trip) per `rowsPerStatement` rows instead of one per row.
class BulkInserter
{
public:
    BulkInserter(QSqlDatabase db, QString table, QStringList columns, int rowsPerStatement);

    /// Adds one row, its values in the order of the columns; runs a full statement when one
    /// is ready. False (with error() set) when the database refused it.
    bool add(const QVariantList &row);
    /// Runs what is left (a shorter statement, prepared for it).
    bool flush();

    qint64 rows() const { return m_rows; }
    QString error() const { return m_error; }

private:
    QString statementFor(int rows) const;
    bool run(QSqlQuery &q);

    QSqlDatabase m_db;
    QString m_table;
    QStringList m_columns;
    int m_rowsPerStatement;
    QSqlQuery m_full;
    QVariantList m_pending;
    qint64 m_rows = 0;
    QString m_error;
};

} // namespace dpichat::bigdata
