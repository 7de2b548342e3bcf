#include "sqlstore_p.h"
#include "sqlutil.h"

#include <QSqlQuery>

using namespace Qt::StringLiterals;

namespace dpichat::server {

Expected<qint64> SqlStore::maxThreadId()
{
    if (auto error = notOpen())
        return *error;
    QSqlQuery q(m_db);
    if (!q.exec(u"SELECT COALESCE(MAX(id), 0) FROM threads"_s) || !q.next())
        return sql::failure(q, "find the newest thread"_L1);
    return q.value(0).toLongLong();
}

} // namespace dpichat::server
